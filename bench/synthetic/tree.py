"""A whole results site of invented series, seasons and events (benchmark data).

    <root>/<YY>_<YYYY>/<NN>_<Event>/<NN>_<Series>/<YYYYMMDDHHMM>_<Session>/<NN>_<Report>_<Session>_<Mark>.CSV

Every (season, event) is an independent task seeded from (seed, season, event, series,
session), so the bytes do not depend on how many worker processes write them.
"""

from __future__ import annotations

import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from .formats import safe_name, write_text
from .model import (
    Driver,
    Entry,
    RacePlan,
    RaceRow,
    Session,
    classify_race,
    grid_from_qualifying,
    simulate_practice,
    simulate_race,
)
from .names import CIRCUITS, SERIES_NAMES, invented_driver, invented_team
from .reports import session_folder_name, write_session


@dataclass(frozen=True)
class SessionSpec:
    name: str
    kind: str  # practice | qualifying | race
    minutes: int
    day: int  # 0 = Friday of the event weekend
    hhmm: tuple[int, int]
    grid_from_second_best: bool = False


@dataclass(frozen=True)
class SeriesTemplate:
    # class, share of the field, skill range (fraction over the reference lap), vehicles (name, make)
    classes: tuple[tuple[str, float, float, float, tuple[tuple[str, str], ...]], ...]
    n_drivers: int
    sessions: tuple[SessionSpec, ...]
    stint_minutes: int = 0  # races with scheduled stops and driver changes


CUP = (("Porsche 911 GT3 Cup", "Porsche"),)
GT3 = (
    ("BMW M4 GT3", "BMW"),
    ("Ferrari 296 GT3", "Ferrari"),
    ("Porsche 911 GT3 R (992)", "Porsche"),
    ("Lamborghini Huracan GT3 EVO2", "Lamborghini"),
    ("Mercedes-AMG GT3", "Mercedes-AMG"),
)
GT4 = (
    ("Aston Martin Vantage AMR GT4", "Aston Martin"),
    ("Toyota GR Supra GT4", "Toyota"),
    ("McLaren Artura GT4", "McLaren"),
)
PROTO = (("Ligier JS P320", "Ligier"), ("Duqueine D08", "Duqueine"))
TCR = (("Hyundai Elantra N TCR", "Hyundai"), ("Audi RS 3 LMS TCR", "Audi"), ("Honda Civic Type R TCR", "Honda"))

TEMPLATES = (
    SeriesTemplate(
        (("Pro", 0.4, 0.0, 0.012, CUP), ("Pro-Am", 0.35, 0.012, 0.028, CUP), ("Am", 0.25, 0.025, 0.045, CUP)),
        1,
        (
            SessionSpec("Practice 1", "practice", 45, 0, (9, 0)),
            SessionSpec("Qualifying", "qualifying", 30, 0, (15, 30)),
            SessionSpec("Race 1", "race", 40, 1, (11, 0)),
            SessionSpec("Race 2", "race", 40, 2, (10, 0), grid_from_second_best=True),
        ),
    ),
    SeriesTemplate(
        (("GT3", 0.55, 0.0, 0.02, GT3), ("GT4", 0.45, 0.07, 0.10, GT4)),
        2,
        (
            SessionSpec("Practice 1", "practice", 60, 0, (10, 15)),
            SessionSpec("Practice 2", "practice", 60, 0, (14, 45)),
            SessionSpec("Qualifying", "qualifying", 20, 1, (9, 20)),
            SessionSpec("Race", "race", 100, 2, (13, 5)),
        ),
        stint_minutes=50,
    ),
    SeriesTemplate(
        (("Proto", 0.3, -0.09, -0.07, PROTO), ("GT3", 0.7, 0.0, 0.02, GT3)),
        3,
        (
            SessionSpec("Practice 1", "practice", 90, 0, (8, 30)),
            SessionSpec("Practice 2", "practice", 60, 0, (16, 0)),
            SessionSpec("Qualifying", "qualifying", 15, 1, (16, 40)),
            SessionSpec("Race", "race", 160, 2, (12, 10)),
        ),
        stint_minutes=45,
    ),
    SeriesTemplate(
        (("TCR", 1.0, 0.09, 0.12, TCR),),
        1,
        (
            SessionSpec("Practice 1", "practice", 40, 0, (11, 40)),
            SessionSpec("Practice 2", "practice", 40, 1, (8, 5)),
            SessionSpec("Qualifying", "qualifying", 20, 1, (13, 55)),
            SessionSpec("Race 1", "race", 30, 1, (17, 10)),
            SessionSpec("Race 2", "race", 30, 2, (9, 15)),
        ),
    ),
)


@dataclass
class Car:
    number: str
    cls: str
    team: str
    drivers: tuple[Driver, ...]
    vehicle: tuple[str, str]
    skill: float
    consistency: float
    car_id: str


@dataclass
class SeriesSeason:
    series_index: int
    name: str
    template: SeriesTemplate
    cars: list[Car] = field(default_factory=list)


def _series_name(i: int) -> str:
    base = SERIES_NAMES[i % len(SERIES_NAMES)]
    return base if i < len(SERIES_NAMES) else f"{base} {i // len(SERIES_NAMES) + 1}"


# What write_tree writes, for callers that keep trees (bench/run.py): bumped whenever the same
# arguments give other bytes. 2: names and IMSA ids unique across the tree.
TREE_VERSION = 2


def build_rosters(seed: int, n_series: int, years: list[int], n_cars: int) -> dict[tuple[int, int], SeriesSeason]:
    """Per (series, year) the entry list; drivers, teams and numbers carry over with churn."""
    out: dict[tuple[int, int], SeriesSeason] = {}
    # Names and IMSA ids unique across the whole tree: one name, one id, one person (drivers of
    # different series who shared a name and a country were one driver to the warehouse).
    used_names: set[str] = set()
    used_ids: set[str] = set()
    for s in range(n_series):
        rng = random.Random(f"{seed}|roster|{s}")
        tpl = TEMPLATES[s % len(TEMPLATES)]
        used_teams: set[str] = set()
        teams = [invented_team(rng, used_teams) for _ in range(max(3, n_cars // 3))]
        numbers = [str(n) for n in range(2, 100) if n not in (7, 23)] + ["100", "120", "023"]
        rng.shuffle(numbers)
        extra = ["1", "01", "7", "07"] if s % 2 == 0 else ["23", "023", "1", "01"]  # text, not integers
        numbers = [n for n in numbers if n not in extra] + extra  # each number once ("023" was in both)
        cars: list[Car] = []

        # Bound now: called within this series' iteration only, with its generator, template and lists.
        def new_car(
            cls: str, lo: float, hi: float, vehicles: tuple, rng=rng, tpl=tpl, numbers=numbers, teams=teams
        ) -> Car:
            drivers = tuple(
                invented_driver(rng, used_names, cls, junior=rng.random() < 0.08, used_ids=used_ids)
                for _ in range(tpl.n_drivers)
            )
            return Car(
                numbers.pop(),
                cls,
                rng.choice(teams),
                drivers,
                rng.choice(vehicles),
                rng.uniform(lo, hi),
                rng.uniform(0.0025, 0.006),
                str(rng.randint(1000, 9999)),
            )

        for y_index, year in enumerate(years):
            if y_index == 0:
                for cls, share, lo, hi, vehicles in tpl.classes:
                    for _ in range(max(1, round(n_cars * share))):
                        cars.append(new_car(cls, lo, hi, vehicles))
            else:  # churn: about a fifth of the cars change hands; numbers go back to the pool
                keep = []
                for car in cars:
                    if rng.random() < 0.2:
                        numbers.insert(0, car.number)
                        _, _, lo, hi, vehicles = next(c for c in tpl.classes if c[0] == car.cls)
                        keep.append(new_car(car.cls, lo, hi, vehicles))
                    else:
                        keep.append(car)
                cars = keep
            out[(s, year)] = SeriesSeason(s, _series_name(s), tpl, list(cars))
    return out


def _calendar(seed: int, year: int, n_events: int) -> list[tuple[int, date, int]]:
    """(site event number, Friday of the weekend, circuit index) for one season."""
    rng = random.Random(f"{seed}|calendar|{year}")
    first = date(year, 3, 1)
    first += timedelta(days=(4 - first.weekday()) % 7)  # a Friday
    span_weeks = 32
    weeks = (
        sorted(rng.sample(range(span_weeks), n_events))
        if n_events <= span_weeks
        else [i * span_weeks / n_events for i in range(n_events)]
    )
    out, number = [], rng.randint(1, 3)
    circuits = list(range(len(CIRCUITS)))
    rng.shuffle(circuits)
    for i, w in enumerate(weeks):
        out.append((number, first + timedelta(weeks=int(w)), circuits[i % len(circuits)]))
        number += rng.randint(1, 2)
    return out


@dataclass
class EventTask:
    root: str
    seed: int
    year: int
    event_number: int
    friday: date
    circuit_index: int
    series: list[SeriesSeason]


def _run_event(task: EventTask) -> tuple[int, int]:
    """Write one event (all its series); returns (data lines, time-card laps)."""
    circuit = CIRCUITS[task.circuit_index]
    lines = laps = 0
    year_dir = Path(task.root) / f"{task.year % 100:02d}_{task.year}"
    event_dir = year_dir / f"{task.event_number:02d}_{safe_name(circuit.name)}"
    for s_index, ss in enumerate(task.series, 1):
        key = f"{task.seed}|{task.year}|{task.event_number}|{ss.series_index}"
        rng = random.Random(key)
        entries = []
        for i, car in enumerate(ss.cars):
            entries.append(
                Entry(
                    number=car.number,
                    cls=car.cls,
                    team=car.team,
                    drivers=car.drivers,
                    vehicle=car.vehicle[0],
                    manufacturer=car.vehicle[1],
                    car_id=car.car_id,
                    event_entry_id=str(task.year * 10000 + task.event_number * 100 + i),
                    pace_ms=circuit.ref_lap_ms * (1.0 + car.skill + rng.gauss(0.0, 0.002)),
                    consistency=car.consistency,
                )
            )
        entries.sort(key=lambda e: e.number)
        series_dir = event_dir / f"{s_index:02d}_{safe_name(ss.name)}"
        quali = None
        wrng = random.Random(key + "|weather")
        absent = {e.number for e in entries if rng.random() < 0.01}
        for spec in ss.template.sessions:
            day = task.friday + timedelta(days=spec.day)
            stamp = datetime(day.year, day.month, day.day, *spec.hhmm)
            srng = random.Random(f"{key}|{spec.name}")
            present = [e for e in entries if e.number not in absent]
            if spec.kind != "race":
                session = Session(spec.name, spec.kind, stamp, 0, spec.minutes * 60_000, circuit, present, {})
                simulate_practice(srng, session, no_show={e.number for e in present if srng.random() < 0.01})
                if spec.kind == "qualifying":
                    quali = session
                laps += sum(r.laps for r in session.runs.values())
                lines += write_session(
                    series_dir / session_folder_name(session), session, wrng, n_drivers=ss.template.n_drivers
                )
                continue
            if quali is None:  # no qualifying in the template: grid in entry order
                quali = Session("Qualifying", "qualifying", stamp, 0, 0, circuit, present, {})
            grid = grid_from_qualifying(quali, use_second_best=spec.grid_from_second_best)
            grid = [g for g in grid if g.entry.number not in absent]
            dns = [g.entry.number for g in grid if srng.random() < 0.012]
            duration = spec.minutes * 60_000
            approx_laps = max(3, int(duration / circuit.ref_lap_ms))
            plan = RacePlan(stint_ms=ss.template.stint_minutes * 60_000)
            for g in grid:
                if g.entry.number not in dns and srng.random() < 0.05:
                    plan.retire[g.entry.number] = (srng.randint(1, approx_laps), srng.random() < 0.6)
                elif not plan.stint_ms and srng.random() < 0.03:
                    plan.pit_stops[g.entry.number] = [srng.randint(2, max(2, approx_laps - 2))]
            n_fcy = sum(srng.random() < 0.35 for _ in range(max(1, spec.minutes // 40)))
            for _ in range(n_fcy):
                a = srng.randint(3 * 60_000, max(3 * 60_000, duration - 8 * 60_000))
                plan.fcy.append((a, a + srng.randint(2 * 60_000, 6 * 60_000)))
            plan.fcy.sort()
            session = Session(
                spec.name,
                "race",
                stamp,
                srng.randint(30_000, 200_000),
                duration,
                circuit,
                present,
                {},
                grid=grid,
                not_started=dns,
            )
            simulate_race(srng, session, plan)
            top = max((r.laps for r in session.runs.values()), default=0)
            for run in session.runs.values():
                if run.status == "Retired" and run.laps >= 0.75 * top:
                    run.status = "Classified"
            marks, provisional_rows = ("Official",), None
            rows = classify_race(session)
            if srng.random() < 0.1 and len(rows) > 6:
                i = srng.randint(1, len(rows) - 3)
                provisional_rows = [
                    RaceRow(r.position, r.entry, r.status, r.laps, r.total_ms, r.fl_lap, r.fl_ms) for r in rows
                ]
                provisional_rows[i].entry, provisional_rows[i + 1].entry = rows[i + 1].entry, rows[i].entry
                marks = ("Provisional", "Official")
            laps += sum(r.laps for r in session.runs.values())
            lines += write_session(
                series_dir / session_folder_name(session),
                session,
                wrng,
                n_drivers=ss.template.n_drivers,
                marks=marks,
                quali=quali,
                provisional_rows=provisional_rows,
            )
    return lines, laps


def write_tree(
    root: Path | str,
    seed: int = 1,
    n_series: int = 8,
    n_seasons: int = 1,
    events_per_season: int = 14,
    n_cars: int = 40,
    first_year: int | None = None,
    jobs: int | None = None,
    argv: str | None = None,
) -> dict:
    """Write a synthetic results site under `root`.

    Returns {'lines', 'time_card_laps', 'seconds', 'lines_per_s'}; `lines` counts every CSV
    data line written (time-card laps, results, grid and weather rows), headers excluded.
    """
    start = time.perf_counter()
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if first_year is None:
        first_year = 2025 - n_seasons
    years = [first_year + i for i in range(n_seasons)]
    rosters = build_rosters(seed, n_series, years, n_cars)
    tasks = []
    for year in years:
        for number, friday, circuit_index in _calendar(seed, year, events_per_season):
            tasks.append(
                EventTask(
                    str(root), seed, year, number, friday, circuit_index, [rosters[(s, year)] for s in range(n_series)]
                )
            )
    args = argv or (
        f"--seed {seed} --series {n_series} --seasons {n_seasons} "
        f"--events-per-season {events_per_season} --cars {n_cars}"
    )
    write_text(
        root / "SYNTHETIC.md",
        f"Generated by `python -m bench.synthetic --out <this folder> {args}` "
        "(bench.synthetic): invented data, not published timing.\n",
    )
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs <= 1 or len(tasks) <= 1:
        results = [_run_event(t) for t in tasks]
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_run_event, tasks, chunksize=1))
    seconds = time.perf_counter() - start
    lines = sum(r[0] for r in results)
    laps = sum(r[1] for r in results)
    return {
        "lines": lines,
        "time_card_laps": laps,
        "seconds": seconds,
        "lines_per_s": lines / seconds if seconds else 0.0,
    }
