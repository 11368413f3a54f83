"""THE sample: a Porsche Carrera Cup North America season that agrees with the press release
of 4 August 2024 (seed/road-america-2024-press-release.txt).

What the release states, and how the sample carries it (checked by `_check_quali` and
`_check_race` on the simulated sessions here, and again from the written CSV files in
tests/unit/test_synthetic.py):

- Road America Race 2 (Sun 4 Aug 2024, 40 minutes): James Sofronas (No. 14, GMG Racing,
  Porsche 911 GT3 Cup, Pro-Am) leads Pro-Am at the end of every lap and wins the class;
  Pedro Torres is the first Pro-Am car on the Race 2 grid and never leads the class.
- That is Sofronas's third Pro-Am win of 2024 (Sebring Race 1, Montreal Race 2, Road America
  Race 2) and his fifth in ten starts: he won both Pro-Am races at COTA 2023 (his debut);
  in 2024 he starts Sebring, Miami, Montreal and Road America (both races each), never
  wins at Miami, and is absent from Watkins Glen. No other Pro-Am driver wins more than two
  2024 races through Road America.
- Road America Race 1 (Sat 3 Aug): Sofronas second in Pro-Am; Kyle Washington (No. 32,
  GMG Racing, Masters) fifth in Masters, worse in Race 2; Yves Baltas (No. 15, GMG Racing,
  Pro), on debut, starts last on the grid, finishes in the Pro top ten and gains exactly 22
  places overall, the most of anyone.
- Washington is a "veteran GMG Racing competitor" and the release says nothing of a Torres
  debut, so neither debuts at Road America: Washington races COTA 2023 and every 2024 event
  before Road America, Torres every 2024 event before it (both races each), in the midfield.
  Baltas appears only at Road America.

The named people hold no fact the release does not state (`_named_facts`, checked on every
race): no class win, podium, class pole, class fastest lap (so no race fastest lap), race-high
places gained, lap-1 class lead from behind class pole or every-lap class lead, except where
the release puts it (Sofronas's five wins, his Road America Race 1 second, lap-1 lead and
every lap led in Race 2; Torres's Pro-Am pole at Road America; Baltas's +22). They carry no
invented personal details (hometown, licence, rating are left empty); Torres's car number (47)
and team are not in the release and are placeholders. Everybody else and every other team is
invented.

Also in the sample, for the loaders: a Provisional Road America Race 1 classification that
swaps Sofronas and the Pro-Am winner (the Official corrects it), a Provisional at Watkins Glen
Race 2, a non-starter (Miami Race 2), a retirement (`Retired`, Montreal Race 1), a car
classified with fewer laps (Watkins Glen Race 2), full-course yellows, lapped cars, juniors
`(J)`, and car numbers `08` / `023`. Each race session is simulated with
a seeded `random.Random`; when a draw does not satisfy the race's stated outcome, the next
draw (attempt k+1, its own seed) is taken, so the sample is deterministic.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .formats import write_text
from .model import (
    Circuit,
    Driver,
    Entry,
    GridSlot,
    RacePlan,
    RaceRow,
    Session,
    classify_race,
    grid_from_qualifying,
    running_order,
    simulate_practice,
    simulate_race,
)
from .names import CIRCUITS_BY_NAME, invented_driver, invented_team
from .reports import session_folder_name, write_session

SAMPLE_SEED = 2024
REPO_RAW = Path(__file__).resolve().parents[2] / "raw"
SERIES_NAME = "Porsche Carrera Cup North America"
SERIES_FOLDER = "02_Porsche Carrera Cup North America"
VEHICLE = "Porsche 911 GT3 Cup"
RACE_MS = 40 * 60_000
PRACTICE_MS = 45 * 60_000
QUALI_MS = 30 * 60_000
CLASS_IDS = {"Pro": "38", "Pro-Am": "39", "Masters": "40"}

# The people named in the release: name, class, car number, team. Nothing else about them.
SOFRONAS = ("James", "Sofronas", "Pro-Am", "14")
TORRES = ("Pedro", "Torres", "Pro-Am", "47")
WASHINGTON = ("Kyle", "Washington", "Masters", "32")
BALTAS = ("Yves", "Baltas", "Pro", "15")
GMG = "GMG Racing"

COTA = Circuit("Circuit of The Americas", 5513, 135_000, (0.30, 0.36, 0.34), -5, (84.0, 104.0, 48, 1013.0))


@dataclass
class RaceSpec:
    name: str
    stamp: datetime
    proam_winner: str | None = None  # driver key that must win Pro-Am
    plan: RacePlan = field(default_factory=RacePlan)
    # key -> (rank, offset): race pace set to the rank-th fastest pace among the other cars of
    # its class (those without a rank_pace) times (1 + offset). Makes a stated outcome likely;
    # the checks make it certain.
    rank_pace: dict[str, tuple[int, float]] = field(default_factory=dict)
    not_started: list[str] = field(default_factory=list)  # driver keys
    to_back: list[str] = field(default_factory=list)  # driver keys sent to the back of the grid
    checks: list[str] = field(default_factory=list)  # names of extra checks (see _check_race)
    provisional_swap: tuple[str, str] | None = None  # keys swapped in a wrong Provisional
    # (key, fact) pairs the release states for this race; every other fact in NAMED_FACTS is
    # kept off the named people (see _named_facts). The Pro-Am winner's "win" is implied.
    stated: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class EventSpec:
    key: str
    season: int
    event_folder: str
    series_folder: str | None
    circuit: Circuit
    practice: datetime
    qualifying: datetime
    races: list[RaceSpec]
    participants: list[str]
    quali_checks: list[str] = field(default_factory=list)
    quali_pace: dict[str, float] = field(default_factory=dict)
    stated_poles: set[str] = field(default_factory=set)  # named keys the release puts on class pole


# --------------------------------------------------------------------------- the field


@dataclass
class Person:
    key: str
    driver: Driver
    cls: str
    number: str
    team: str
    skill: float  # fraction above the circuit reference lap
    consistency: float


def build_people(seed: int) -> dict[str, Person]:
    """Invented regulars and part-timers, plus the four named people."""
    rng = random.Random(f"{seed}|people")
    used_names = {"James Sofronas", "Pedro Torres", "Kyle Washington", "Yves Baltas"}
    used_teams = {GMG}
    teams = [invented_team(rng, used_teams) for _ in range(9)]
    numbers = [
        str(n)
        for n in (
            2,
            3,
            4,
            5,
            7,
            8,
            9,
            10,
            11,
            12,
            16,
            18,
            19,
            20,
            21,
            23,
            24,
            25,
            26,
            27,
            28,
            29,
            30,
            33,
            36,
            38,
            40,
            44,
            50,
            53,
            55,
            57,
            61,
            68,
            71,
            77,
            80,
            88,
            91,
            99,
        )
    ]
    numbers += ["08", "023"]
    rng.shuffle(numbers)
    people: dict[str, Person] = {}

    def add(key: str, cls: str, skill: float, junior: bool = False, team: str | None = None) -> None:
        d = invented_driver(rng, used_names, cls, junior)
        people[key] = Person(key, d, cls, numbers.pop(), team or rng.choice(teams), skill, rng.uniform(0.0025, 0.0045))

    for i in range(1, 15):  # pro1..pro11 regulars, pro12/13 part-timers 2024, pro14 2023 only
        add(f"pro{i}", "Pro", 0.0008 * i + rng.uniform(0.0, 0.0015), junior=i in (2, 6, 12))
    for i in range(1, 10):  # pa1..pa8 regulars, pa9 part-timer
        add(f"pa{i}", "Pro-Am", 0.013 + 0.0012 * i + rng.uniform(0.0, 0.002))
    for i in range(1, 10):  # m1..m7 regulars, m8 part-timer 2024, m9 2023 only
        add(f"m{i}", "Masters", 0.026 + 0.0016 * i + rng.uniform(0.0, 0.003))
    for key, (first, last, cls, number), skill in (
        ("sofronas", SOFRONAS, 0.0150),
        ("torres", TORRES, 0.0160),
        ("washington", WASHINGTON, 0.0320),
        ("baltas", BALTAS, 0.0030),
    ):
        # Named people: name, class, number and team only (no hometown, licence or rating).
        people[key] = Person(
            key,
            Driver(first, last, driver_id=str(rng.randint(90000, 99999))),
            cls,
            number,
            GMG if key != "torres" else rng.choice(teams),
            skill,
            0.0030,
        )
    return people


REGULARS = [f"pro{i}" for i in range(1, 12)] + [f"pa{i}" for i in range(1, 9)] + [f"m{i}" for i in range(1, 8)]


# Washington and Torres before Road America: race pace of the 4th-quickest other car of their
# class (+0.1 %) and a slower qualifying, so they run in the midfield: no win, no podium, no
# pole, no fastest lap, not the race's biggest mover (the checks make it certain).
MIDFIELD = {"torres": (4, 0.001), "washington": (4, 0.001)}
MIDFIELD_QUALI = {"torres": 0.002, "washington": 0.002}


def _event_specs() -> list[EventSpec]:
    d = datetime
    all_2024 = REGULARS + ["sofronas", "torres", "washington"]
    return [
        EventSpec(
            "cota-2023",
            2023,
            "22_PCCNA COTA",
            None,
            COTA,
            d(2023, 10, 19, 15, 30),
            d(2023, 10, 20, 10, 30),
            [
                RaceSpec(
                    "Race 1",
                    d(2023, 10, 21, 14, 10),
                    proam_winner="sofronas",
                    rank_pace={"washington": MIDFIELD["washington"]},
                ),
                RaceSpec(
                    "Race 2",
                    d(2023, 10, 22, 11, 40),
                    proam_winner="sofronas",
                    rank_pace={"washington": MIDFIELD["washington"]},
                ),
            ],
            [k for k in REGULARS if k not in ("pro9", "m6")] + ["pro14", "m9", "sofronas", "washington"],
            quali_pace={"washington": MIDFIELD_QUALI["washington"]},
        ),
        EventSpec(
            "sebring-2024",
            2024,
            "03_Sebring International Raceway",
            SERIES_FOLDER,
            CIRCUITS_BY_NAME["Sebring International Raceway"],
            d(2024, 3, 13, 10, 30),
            d(2024, 3, 13, 16, 5),
            [
                RaceSpec("Race 1", d(2024, 3, 14, 12, 10), proam_winner="sofronas", rank_pace={**MIDFIELD}),
                RaceSpec(
                    "Race 2", d(2024, 3, 15, 11, 35), proam_winner="pa1", rank_pace={"sofronas": (3, 0.0), **MIDFIELD}
                ),
            ],
            all_2024 + ["pa9", "m8"],
            quali_pace={**MIDFIELD_QUALI},
        ),
        EventSpec(
            "miami-2024",
            2024,
            "06_Miami Grand Prix",
            SERIES_FOLDER,
            CIRCUITS_BY_NAME["Miami Grand Prix"],
            d(2024, 5, 3, 9, 10),
            d(2024, 5, 3, 14, 25),
            [
                RaceSpec(
                    "Race 1",
                    d(2024, 5, 4, 10, 25),
                    proam_winner="pa2",
                    rank_pace={"sofronas": (3, 0.0), **MIDFIELD},
                    plan=RacePlan(fcy=[(11 * 60_000, 14 * 60_000 + 30_000)]),
                ),
                RaceSpec(
                    "Race 2",
                    d(2024, 5, 5, 11, 5),
                    proam_winner="pa3",
                    not_started=["m4"],
                    rank_pace={"sofronas": (4, 0.0), **MIDFIELD},
                ),
            ],
            all_2024 + ["pa9", "pro12"],
            quali_pace={**MIDFIELD_QUALI},
        ),
        EventSpec(
            "montreal-2024",
            2024,
            "10_Canadian Grand Prix",
            SERIES_FOLDER,
            CIRCUITS_BY_NAME["Canadian Grand Prix"],
            d(2024, 6, 7, 9, 20),
            d(2024, 6, 7, 14, 50),
            [
                RaceSpec(
                    "Race 1",
                    d(2024, 6, 8, 11, 5),
                    proam_winner="pa1",
                    rank_pace={"sofronas": (3, 0.0), **MIDFIELD},
                    plan=RacePlan(retire={"pro5": (7, True)}, retire_status={"pro5": "Retired"}),
                ),
                RaceSpec("Race 2", d(2024, 6, 9, 10, 20), proam_winner="sofronas", rank_pace={**MIDFIELD}),
            ],
            all_2024 + ["m8", "pro13"],
            quali_pace={**MIDFIELD_QUALI},
        ),
        EventSpec(
            "watkins-glen-2024",
            2024,
            "12_Watkins Glen International",
            SERIES_FOLDER,
            CIRCUITS_BY_NAME["Watkins Glen International"],
            d(2024, 6, 21, 9, 45),
            d(2024, 6, 21, 16, 10),
            [
                RaceSpec("Race 1", d(2024, 6, 22, 11, 55), proam_winner="pa4", rank_pace={**MIDFIELD}),
                RaceSpec(
                    "Race 2",
                    d(2024, 6, 23, 9, 25),
                    proam_winner="pa2",
                    rank_pace={**MIDFIELD},
                    plan=RacePlan(
                        fcy=[(20 * 60_000, 23 * 60_000)], retire={"m3": (19, False)}, retire_status={"m3": "Classified"}
                    ),
                    provisional_swap=("m1", "m2"),
                ),
            ],
            REGULARS + ["torres", "washington", "m8", "pro12", "pro13"],  # Sofronas not there
            quali_pace={**MIDFIELD_QUALI},
        ),
        EventSpec(
            "road-america-2024",
            2024,
            "14_Road America",
            SERIES_FOLDER,
            CIRCUITS_BY_NAME["Road America"],
            d(2024, 8, 2, 9, 45),
            d(2024, 8, 2, 17, 20),
            [
                RaceSpec(
                    "Race 1",
                    d(2024, 8, 3, 12, 20),
                    proam_winner="pa3",
                    to_back=["baltas"],
                    rank_pace={"sofronas": (1, -0.002), "washington": (5, -0.001), "baltas": (5, 0.0)},
                    checks=["sofronas_second_proam", "washington_fifth_masters", "baltas_plus_22"],
                    provisional_swap=("pa3", "sofronas"),
                    stated={("sofronas", "podium"), ("baltas", "most_gained")},
                ),
                RaceSpec(
                    "Race 2",
                    d(2024, 8, 4, 10, 15),
                    proam_winner="sofronas",
                    rank_pace={"sofronas": (1, -0.005), "washington": (6, 0.001), "baltas": (7, 0.0)},
                    plan=RacePlan(lap1_delta_ms={"sofronas": -1200}),
                    checks=["sofronas_leads_every_lap", "washington_worse_than_fifth", "baltas_unremarkable"],
                    stated={("sofronas", "lap1_lead"), ("sofronas", "led_every_lap")},
                ),
            ],
            REGULARS + ["sofronas", "torres", "washington", "baltas"],
            quali_checks=["torres_proam_pole_race1", "torres_proam_pole_race2", "sofronas_second_proam_race2"],
            quali_pace={"torres": -0.006, "sofronas": -0.004, "washington": 0.002},
            stated_poles={"torres"},
        ),
    ]


# --------------------------------------------------------------------------- checks


def _class_order(rows: list[RaceRow], cls: str) -> list[str]:
    return [r.entry.number for r in rows if r.position is not None and r.entry.cls == cls]


NAMED = ("sofronas", "torres", "washington", "baltas")


def _numbers_in(rows: list[RaceRow], num: Callable[[str], str]) -> set[str]:
    present = {r.entry.number for r in rows}
    out = set()
    for key in NAMED:
        try:
            if num(key) in present:
                out.add(key)
        except KeyError:
            pass
    return out


def _check_race(name: str, session: Session, rows: list[RaceRow], num: Callable[[str], str]) -> bool:
    if name == "sofronas_second_proam":
        return _class_order(rows, "Pro-Am")[1] == num("sofronas")
    if name == "washington_fifth_masters":
        return _class_order(rows, "Masters")[4] == num("washington")
    if name == "washington_worse_than_fifth":
        order = _class_order(rows, "Masters")
        return num("washington") not in order[:5]
    if name == "baltas_plus_22":
        grid_pos = {slot.entry.number: i for i, slot in enumerate(session.grid, 1)}
        finish = {r.entry.number: r.position for r in rows if r.position is not None}
        gains = {n: grid_pos[n] - p for n, p in finish.items()}
        b = num("baltas")
        if grid_pos[b] != len(session.grid) or gains[b] != 22:
            return False
        pro = _class_order(rows, "Pro")
        return pro.index(b) < 10 and all(g < 22 for n, g in gains.items() if n != b)
    if name == "baltas_unremarkable":  # no podium, no big charge: the release says nothing of it
        grid_pos = {slot.entry.number: i for i, slot in enumerate(session.grid, 1)}
        row = next(r for r in rows if r.entry.number == num("baltas"))
        return (
            _class_order(rows, "Pro").index(num("baltas")) >= 4
            and row.position is not None
            and grid_pos[row.entry.number] - row.position < 10
        )
    if name == "sofronas_leads_every_lap":
        cls_of = {r.entry.number: r.entry.cls for r in rows}
        s = num("sofronas")
        for _lap, order in running_order(session).items():
            in_class = [n for n in order if cls_of[n] == "Pro-Am"]
            if in_class and in_class[0] != s:
                return False
        return True
    raise KeyError(name)


# Facts of a race that the warehouse notes or counts (race_notes, standings): a class win,
# a class podium (2nd or 3rd), class pole, the class's fastest lap (so also the race's),
# the race-high places gained (ties included), the class lead at the end of lap 1 from
# behind class pole, and the class lead at the end of every lap.
NAMED_FACTS = ("win", "podium", "class_pole", "fastest_lap", "most_gained", "lap1_lead", "led_every_lap")


def _named_facts(session: Session, rows: list[RaceRow], num: Callable[[str], str]) -> set[tuple[str, str]]:
    """(key, fact) for every named person in the race and every fact of NAMED_FACTS they hold."""
    present = _numbers_in(rows, num)
    cls_of = {r.entry.number: r.entry.cls for r in rows}
    grid_pos = {slot.entry.number: i for i, slot in enumerate(session.grid, 1)}
    started = [r for r in rows if r.position is not None]
    class_grid: dict[str, int] = {}
    seen: dict[str, int] = {}
    for slot in session.grid:
        n = slot.entry.number
        if n in session.not_started:
            continue
        seen[slot.entry.cls] = seen.get(slot.entry.cls, 0) + 1
        class_grid[n] = seen[slot.entry.cls]
    class_pos: dict[str, int] = {}
    seen = {}
    for r in started:
        seen[r.entry.cls] = seen.get(r.entry.cls, 0) + 1
        class_pos[r.entry.number] = seen[r.entry.cls]
    class_fl: dict[str, int] = {}
    for r in started:
        if r.fl_ms is not None:
            class_fl[r.entry.cls] = min(class_fl.get(r.entry.cls, r.fl_ms), r.fl_ms)
    gains = {r.entry.number: grid_pos[r.entry.number] - r.position for r in started}
    max_gain = max(gains.values())
    leaders: dict[str, list[str]] = {}  # class -> leader at the end of each lap
    for _lap, order in sorted(running_order(session).items()):
        done = set()
        for n in order:
            if cls_of[n] not in done:
                done.add(cls_of[n])
                leaders.setdefault(cls_of[n], []).append(n)
    facts = set()
    for key in present:
        n = num(key)
        cls = cls_of[n]
        row = next(r for r in rows if r.entry.number == n)
        if class_pos.get(n) == 1:
            facts.add((key, "win"))
        if class_pos.get(n) in (2, 3):
            facts.add((key, "podium"))
        if class_grid.get(n) == 1:
            facts.add((key, "class_pole"))
        if row.fl_ms is not None and row.fl_ms == class_fl.get(cls):
            facts.add((key, "fastest_lap"))
        if n in gains and gains[n] == max_gain and max_gain > 0:
            facts.add((key, "most_gained"))
        lead = leaders.get(cls, [])
        if lead and lead[0] == n and class_grid.get(n) != 1:
            facts.add((key, "lap1_lead"))
        if lead and all(x == n for x in lead):
            facts.add((key, "led_every_lap"))
    return facts


def _allowed_facts(event: EventSpec, spec: RaceSpec) -> set[tuple[str, str]]:
    allowed = set(spec.stated) | {(k, "class_pole") for k in event.stated_poles}
    if spec.proam_winner:
        allowed.add((spec.proam_winner, "win"))
    return allowed


def _check_quali(name: str, quali: Session, num: Callable[[str], str]) -> bool:
    grid2 = grid_from_qualifying(quali, use_second_best=True)
    proam = [s.entry.number for s in grid2 if s.entry.cls == "Pro-Am"]
    if name == "torres_proam_pole_race1":  # the release calls him the Pro-Am polesitter
        grid1 = grid_from_qualifying(quali)
        return [s.entry.number for s in grid1 if s.entry.cls == "Pro-Am"][0] == num("torres")
    if name == "torres_proam_pole_race2":
        return proam[0] == num("torres")
    if name == "sofronas_second_proam_race2":
        return proam[1] == num("sofronas")
    raise KeyError(name)


# --------------------------------------------------------------------------- building

MAX_ATTEMPTS = 5000


def _race_grids(event: EventSpec, quali: Session, num: Callable[[str], str]) -> list[list[GridSlot]]:
    """The grid of each race: Race 1 by best qualifying lap, Race 2 by second-best."""
    return [
        grid_from_qualifying(quali, use_second_best=i == 1, to_back=[num(k) for k in spec.to_back])
        for i, spec in enumerate(event.races)
    ]


def _poles_as_stated(event: EventSpec, quali: Session, num: Callable[[str], str]) -> bool:
    """No named person on class pole of a race grid unless the release puts them there."""
    named = {num(k) for k in NAMED if k in event.participants and k not in event.stated_poles}
    for grid, spec in zip(_race_grids(event, quali, num), event.races):
        first: dict[str, str] = {}
        for slot in grid:
            if slot.entry.number not in {num(k) for k in spec.not_started}:
                first.setdefault(slot.entry.cls, slot.entry.number)
        if named & set(first.values()):
            return False
    return True


def _entries(event: EventSpec, people: dict[str, Person], event_index: int, seed: int) -> list[Entry]:
    rng = random.Random(f"{seed}|{event.key}|form")
    team_ids: dict[str, str] = {}
    entries = []
    for idx, key in enumerate(event.participants):
        p = people[key]
        team_ids.setdefault(p.team, str(100 + len(team_ids)))
        form = rng.gauss(0.0, 0.0012)
        entries.append(
            Entry(
                number=p.number,
                cls=p.cls,
                team=p.team,
                drivers=(p.driver,),
                vehicle=VEHICLE,
                car_id=str(1300 + sorted(people).index(key)),
                team_id=team_ids[p.team],
                class_id=CLASS_IDS[p.cls],
                cartype_id="107",
                manufacturer_id="112",
                tire_id="3",
                event_entry_id=str(10000 + event_index * 100 + idx),
                pace_ms=event.circuit.ref_lap_ms * (1.0 + p.skill + form),
                consistency=p.consistency,
            )
        )
    entries.sort(key=lambda e: (int(e.number), e.number))
    return entries


def _rank_pace_deltas(spec: RaceSpec, entries: list[Entry], num: Callable[[str], str]) -> dict[str, float]:
    """Pace deltas (fraction of own pace) realising spec.rank_pace (+ the Pro-Am winner's)."""
    wanted = dict(spec.rank_pace)
    if spec.proam_winner and spec.proam_winner not in wanted:
        wanted[spec.proam_winner] = (1, -0.006)
    by_number = {e.number: e for e in entries}
    targeted = {num(k) for k in wanted}
    deltas = {}
    for key, (rank, offset) in wanted.items():
        me = by_number[num(key)]
        others = sorted(e.pace_ms for e in entries if e.cls == me.cls and e.number not in targeted)
        target = others[min(rank, len(others)) - 1] * (1.0 + offset)
        deltas[me.number] = target / me.pace_ms - 1.0
    return deltas


@dataclass
class BuiltEvent:
    spec: EventSpec
    practice: Session
    qualifying: Session
    races: list[tuple[RaceSpec, Session, list[RaceRow], int]]  # spec, session, rows, attempts


def build_event(event: EventSpec, people: dict[str, Person], event_index: int, seed: int) -> BuiltEvent:
    entries = _entries(event, people, event_index, seed)
    number_of = {k: people[k].number for k in event.participants}
    num = number_of.__getitem__
    circuit = event.circuit

    practice = Session("Practice 1", "practice", event.practice, 0, PRACTICE_MS, circuit, entries, {})
    simulate_practice(random.Random(f"{seed}|{event.key}|Practice 1"), practice)

    quali_delta = {num(k): v for k, v in event.quali_pace.items()}
    for attempt in range(MAX_ATTEMPTS):
        quali = Session("Qualifying", "qualifying", event.qualifying, 0, QUALI_MS, circuit, entries, {})
        simulate_practice(random.Random(f"{seed}|{event.key}|Qualifying|{attempt}"), quali, pace_delta=quali_delta)
        if all(_check_quali(c, quali, num) for c in event.quali_checks) and _poles_as_stated(event, quali, num):
            break
    else:
        raise RuntimeError(f"{event.key} qualifying: no draw satisfies {event.quali_checks}")

    races = []
    for spec, grid in zip(event.races, _race_grids(event, quali, num)):
        allowed = _allowed_facts(event, spec)
        plan = RacePlan(
            fcy=spec.plan.fcy,
            retire={num(k): v for k, v in spec.plan.retire.items()},
            retire_status={num(k): v for k, v in spec.plan.retire_status.items()},
            pace_delta=_rank_pace_deltas(spec, entries, num),
            lap1_delta_ms={num(k): v for k, v in spec.plan.lap1_delta_ms.items()},
        )
        for attempt in range(MAX_ATTEMPTS):
            rng = random.Random(f"{seed}|{event.key}|{spec.name}|{attempt}")
            delay = 60_000 + rng.randint(0, 150_000)
            session = Session(
                spec.name,
                "race",
                spec.stamp,
                delay,
                RACE_MS,
                circuit,
                entries,
                {},
                grid=grid,
                not_started=[num(k) for k in spec.not_started],
            )
            simulate_race(rng, session, plan)
            rows = classify_race(session)
            ok = True
            if spec.proam_winner:
                ok = _class_order(rows, "Pro-Am")[0] == num(spec.proam_winner)
            ok = ok and all(_check_race(c, session, rows, num) for c in spec.checks)
            ok = ok and _named_facts(session, rows, num) <= allowed
            if ok:
                break
        else:
            raise RuntimeError(f"{event.key} {spec.name}: no draw satisfies the stated outcome")
        races.append((spec, session, rows, attempt))
    return BuiltEvent(event, practice, quali, races)


def _provisional(rows: list[RaceRow], a: str, b: str) -> list[RaceRow]:
    """A wrong Provisional: cars a and b swapped (each listed with the other's result)."""
    out = [RaceRow(r.position, r.entry, r.status, r.laps, r.total_ms, r.fl_lap, r.fl_ms) for r in rows]
    ia = next(i for i, r in enumerate(out) if r.entry.number == a)
    ib = next(i for i, r in enumerate(out) if r.entry.number == b)
    out[ia].entry, out[ib].entry = out[ib].entry, out[ia].entry
    return out


def _label(seed: int, where: str) -> str:
    return (
        f"# Synthetic data\n\nGenerated by `python -m bench.synthetic --sample --seed {seed}` "
        f"(bench.synthetic.sample.write_sample). Invented data for {where}: it mirrors the "
        "press release of 2024-08-05 and is otherwise made up; not published timing.\n"
    )


def sample_root_folders(root: Path) -> list[Path]:
    """The folders the sample owns under `root` (replaced whole on every write)."""
    return [root / "23_2023" / "22_PCCNA COTA"] + [
        root / "24_2024" / e.event_folder / SERIES_FOLDER for e in _event_specs() if e.season == 2024
    ]


def write_sample(root: Path | str = REPO_RAW, seed: int = SAMPLE_SEED) -> dict:
    """Write the sample season under `root`; returns a summary (files, lines, attempts).

    Only the sample's own folders are replaced; anything else under `root` (the real IMSA
    files in `24_2024/<event>/01_...`) is left alone.
    """
    root = Path(root)
    people = build_people(seed)
    summary: dict = {"files": [], "lines": 0, "attempts": {}}
    for folder in sample_root_folders(root):
        if folder.exists():
            shutil.rmtree(folder)
    for event_index, event in enumerate(_event_specs()):
        built = build_event(event, people, event_index, seed)
        season_dir = root / f"{event.season % 100:02d}_{event.season}"
        base = season_dir / event.event_folder
        if event.series_folder:
            base = base / event.series_folder
            write_text(base / "SYNTHETIC.md", _label(seed, f"{SERIES_NAME}, {event.event_folder[3:]} {event.season}"))
        else:
            write_text(season_dir / "SYNTHETIC.md", _label(seed, f"the {event.season} folder ({event.event_folder})"))
        wrng = random.Random(f"{seed}|{event.key}|weather")
        for session in (built.practice, built.qualifying):
            summary["lines"] += write_session(base / session_folder_name(session), session, wrng)
        for spec, session, rows, attempts in built.races:
            summary["attempts"][f"{event.key} {spec.name}"] = attempts
            marks: tuple[str, ...] = ("Official",)
            provisional_rows = None
            if spec.provisional_swap:
                marks = ("Provisional", "Official")
                a, b = (people[k].number for k in spec.provisional_swap)
                provisional_rows = _provisional(rows, a, b)
            summary["lines"] += write_session(
                base / session_folder_name(session),
                session,
                wrng,
                marks=marks,
                quali=built.qualifying,
                provisional_rows=provisional_rows,
            )
    summary["files"] = sorted(
        str(p.relative_to(root)) for folder in sample_root_folders(root) for p in folder.rglob("*") if p.is_file()
    ) + [str(Path("23_2023") / "SYNTHETIC.md")]
    return summary


def sample_people(seed: int = SAMPLE_SEED) -> dict[str, tuple[str, str, str, str]]:
    """key -> (full name, class, number, team) of everybody in the sample."""
    return {k: (p.driver.full_name, p.cls, p.number, p.team) for k, p in build_people(seed).items()}
