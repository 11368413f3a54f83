"""Entries, circuits and the session simulator.

Everything is integer milliseconds. A session is simulated car by car from a pace model
(base lap time, consistency, mistakes, full-course yellows, pit stops); results are then
*derived* from the simulated laps, so the classification, the grid and the time cards can
never disagree:

- LAPS is the number of laps a car has in the time cards, TOTAL_TIME its last ELAPSED;
- FL_TIME / FL_LAPNUM (or TIME / LAP) are its fastest time-card lap;
- race order is (laps desc, total time asc); the order of ELAPSED at each lap number is the
  running order;
- timed races end with the leader's first crossing after the clock runs out, everyone else
  finishes the lap they are on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

# --------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class Driver:
    first: str
    last: str
    junior: bool = False
    license: str = ""
    hometown: str = ""
    country: str = ""
    driver_id: str = ""
    plug_id: str = ""
    rating: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"

    def result_cells(self) -> list[str]:
        """The 11 cells of a results-file driver block; `(J)` glued to a junior's surname."""
        surname = self.last + ("(J)" if self.junior else "")
        return [
            self.first,
            surname,
            self.license,
            self.hometown,
            self.country,
            "",
            self.driver_id,
            self.plug_id,
            self.rating,
            "",
            "",
        ]


@dataclass
class Entry:
    """A car entered in one event."""

    number: str
    cls: str
    team: str
    drivers: tuple[Driver, ...]
    vehicle: str = "Porsche 911 GT3 Cup"
    manufacturer: str = "Porsche"
    tires: str = "M"
    car_id: str = ""
    team_id: str = ""
    class_id: str = ""
    cartype_id: str = ""
    manufacturer_id: str = ""
    tire_id: str = ""
    sponsor_id: str = ""
    event_entry_id: str = ""
    pace_ms: float = 120_000.0  # clean-air lap at this circuit
    consistency: float = 0.004  # lap-to-lap standard deviation as a fraction of pace

    def entry_cells(self) -> list[str]:
        return [
            self.team,
            self.cls,
            "",
            "",
            self.vehicle,
            self.tires,
            self.car_id,
            self.team_id,
            self.class_id,
            self.cartype_id,
            self.manufacturer_id,
            self.tire_id,
            self.sponsor_id,
            self.event_entry_id,
            "",
            "",
        ]


@dataclass(frozen=True)
class Circuit:
    name: str
    length_m: int
    ref_lap_ms: int  # a quick car's clean lap; entries' paces are set from it
    sectors: tuple[float, float, float]
    utc_offset_h: int  # local summer time offset (the stamps are local time)
    weather: tuple[float, float, int, float]  # air degF, track degF, humidity %, pressure hPa


# --------------------------------------------------------------------------- simulated runs


@dataclass
class CarRun:
    entry: Entry
    lap_ms: list[int] = field(default_factory=list)
    s1: list[int] = field(default_factory=list)
    s2: list[int] = field(default_factory=list)
    s3: list[int] = field(default_factory=list)
    in_pit: list[bool] = field(default_factory=list)  # crossed the line in the pit lane
    pit_ms: list[int] = field(default_factory=list)  # time stationary/in the pits, 0 = none
    flags: list[str] = field(default_factory=list)
    driver_idx: list[int] = field(default_factory=list)  # 1-based index into entry.drivers
    status: str = "Classified"

    @property
    def laps(self) -> int:
        return len(self.lap_ms)

    def elapsed(self) -> list[int]:
        out, t = [], 0
        for x in self.lap_ms:
            t += x
            out.append(t)
        return out

    @property
    def total_ms(self) -> int:
        return sum(self.lap_ms)

    def best(self) -> tuple[int, int]:
        """(lap number, lap time) of the fastest lap; the earliest one on a tie."""
        best_i = min(range(len(self.lap_ms)), key=lambda i: (self.lap_ms[i], i))
        return best_i + 1, self.lap_ms[best_i]

    def truncate(self, n: int) -> None:
        for name in ("lap_ms", "s1", "s2", "s3", "in_pit", "pit_ms", "flags", "driver_idx"):
            del getattr(self, name)[n:]


@dataclass
class GridSlot:
    entry: Entry
    time_ms: int | None  # the qualifying time that set the slot


@dataclass
class Session:
    name: str  # 'Practice 1', 'Qualifying', 'Race 1', ...
    kind: str  # 'practice' | 'qualifying' | 'race'
    stamp: datetime  # local start as in the folder name
    start_delay_ms: int  # actual start after the stamp (races start after a formation lap)
    duration_ms: int
    circuit: Circuit
    entries: list[Entry]  # everybody entered, in entry-list order
    runs: dict[str, CarRun]  # cars that completed at least one lap
    grid: list[GridSlot] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)

    @property
    def start_tod_ms(self) -> int:
        return (self.stamp.hour * 3600 + self.stamp.minute * 60) * 1000 + self.start_delay_ms


# --------------------------------------------------------------------------- lap building


def _fcy_extra(t0: float, x: float, windows: list[tuple[int, int]]) -> float:
    """Extra time for the part of a lap driven under a full-course yellow."""
    extra = 0.0
    for a, b in windows:
        if t0 < b and t0 + x > a:
            extra += (min(t0 + x, b) - max(t0, a)) * 0.55
    return extra


def _in_fcy(t: float, windows: list[tuple[int, int]]) -> bool:
    for a, b in windows:
        if a <= t < b:
            return True
    return False


@dataclass
class RacePlan:
    """Per-race knobs. Everything optional; defaults give a plain green race."""

    fcy: list[tuple[int, int]] = field(default_factory=list)  # (start, end) ms since the start
    retire: dict[str, tuple[int, bool]] = field(default_factory=dict)  # number -> (laps done, into pits)
    retire_status: dict[str, str] = field(default_factory=dict)  # number -> 'Retired' | 'Classified'
    pit_stops: dict[str, list[int]] = field(default_factory=dict)  # number -> in-laps
    pace_delta: dict[str, float] = field(default_factory=dict)  # number -> fraction added to pace
    lap1_delta_ms: dict[str, int] = field(default_factory=dict)  # number -> ms added to lap 1
    stint_ms: int = 0  # >0: scheduled stops with driver changes every ~stint_ms (endurance)
    pit_stop_ms: tuple[int, int] = (28_000, 75_000)


GRID_SLOT_MS = 290  # rolling start: each grid slot crosses the line this much later


def simulate_race(rng: random.Random, session: Session, plan: RacePlan | None = None) -> None:
    """Fill session.runs for a timed race; session.grid gives the starters in order."""
    plan = plan or RacePlan()
    circuit = session.circuit
    sectors = circuit.sectors
    D = session.duration_ms
    windows = plan.fcy
    gauss, random_ = rng.gauss, rng.random
    runs: dict[str, CarRun] = {}
    starters = [slot.entry for slot in session.grid if slot.entry.number not in session.not_started]
    f1, f2 = sectors[0], sectors[1]
    stint_ms = plan.stint_ms
    pit_lo, pit_hi = plan.pit_stop_ms
    for g, e in enumerate(starters):
        p = e.pace_ms * (1.0 + plan.pace_delta.get(e.number, 0.0))
        sd = e.consistency
        run = CarRun(e)
        a_lap, a_s1, a_s2, a_s3 = run.lap_ms.append, run.s1.append, run.s2.append, run.s3.append
        a_pit, a_pitms, a_flag, a_drv = run.in_pit.append, run.pit_ms.append, run.flags.append, run.driver_idx.append
        n_drivers = len(e.drivers)
        drv = 1
        retire_at, retire_in_pits = plan.retire.get(e.number, (0, False))
        stops = set(plan.pit_stops.get(e.number, ()))
        next_stint_end = stint_ms * (0.85 + 0.3 * random_()) if stint_ms else 0.0
        limit = D + 3.2 * p
        pit_entry = int(p * 0.045)
        t = 0
        pending_pit = 0
        n = 0
        while t < limit:
            n += 1
            x = p * (1.0 + sd * 2.0 * (random_() + random_() + random_() - 1.5))  # ~normal(0, sd)
            if random_() < 0.025:
                x += 600 + 3500 * random_()  # a moment: lock-up, off-track, traffic
            pit = 0
            if n == 1:
                x += g * GRID_SLOT_MS + p * 0.018 + g * 25 + gauss(0.0, 450.0)
                x += plan.lap1_delta_ms.get(e.number, 0)
            if pending_pit:
                pit = pending_pit
                x += pit + p * 0.05  # pit lane on the out-lap
                pending_pit = 0
            if windows:
                x += _fcy_extra(t, x, windows)
            lap = int(x)
            in_pit = False
            scheduled = stint_ms and t + lap >= next_stint_end and t + lap < D - p
            if scheduled or n in stops or (n == retire_at and retire_in_pits):
                in_pit = True
                lap += pit_entry  # pit entry on the in-lap
                if n != retire_at:
                    pending_pit = int(pit_lo + (pit_hi - pit_lo) * random_())
                if scheduled:
                    next_stint_end += stint_ms * (0.85 + 0.3 * random_())
            # sectors; on an out-lap the stationary time sits in S1 (the car leaves the pits there)
            base = lap - pit
            s1 = int(base * f1 * (0.988 + 0.024 * random_())) + pit
            s2 = int(base * f2 * (0.992 + 0.016 * random_()))
            t += lap
            a_lap(lap)
            a_s1(s1)
            a_s2(s2)
            a_s3(lap - s1 - s2)
            a_pit(in_pit)
            a_pitms(pit)
            a_flag("FCY" if windows and _in_fcy(t, windows) else "GF")
            a_drv(drv)
            if in_pit and n_drivers > 1 and pending_pit:
                drv = drv % n_drivers + 1
            if n == retire_at:
                break
        runs[e.number] = run

    # Chequered flag: the leader's first crossing at or after the clock runs out.
    elapsed = {num: r.elapsed() for num, r in runs.items()}
    max_laps = max(len(v) for v in elapsed.values())
    flag_time = None
    for lap_no in range(1, max_laps + 1):
        crossings = [v[lap_no - 1] for v in elapsed.values() if len(v) >= lap_no]
        lead = min(crossings)
        if lead >= D:
            flag_time = lead
            break
    if flag_time is None:  # cannot happen with the limits above; keep the race consistent anyway
        flag_time = max(v[-1] for v in elapsed.values())
    for num, run in runs.items():
        el = elapsed[num]
        finish = next((i for i, t in enumerate(el) if t >= flag_time), None)
        if finish is not None:
            run.truncate(finish + 1)
            run.flags[-1] = "FF"
        else:  # stopped before the flag
            run.status = plan.retire_status.get(num, "Retired")
    session.runs = runs


def simulate_practice(
    rng: random.Random, session: Session, no_show: set[str] | None = None, pace_delta: dict[str, float] | None = None
) -> None:
    """Practice or qualifying: runs from the pits, stints, stops, chequered flag at the end."""
    no_show = no_show or set()
    pace_delta = pace_delta or {}
    quali = session.kind == "qualifying"
    D = session.duration_ms
    sectors = session.circuit.sectors
    random_ = rng.random
    runs: dict[str, CarRun] = {}
    f1, f2 = sectors[0], sectors[1]
    for e in session.entries:
        if e.number in no_show:
            continue
        p = e.pace_ms * (1.0 + pace_delta.get(e.number, 0.0)) * (0.997 if quali else 1.004)
        sd = e.consistency * (0.8 if quali else 1.0)
        run = CarRun(e)
        a_lap, a_s1, a_s2, a_s3 = run.lap_ms.append, run.s1.append, run.s2.append, run.s3.append
        a_pit, a_pitms, a_flag, a_drv = run.in_pit.append, run.pit_ms.append, run.flags.append, run.driver_idx.append
        n_drivers = len(e.drivers)
        drv = 1
        wait = int(random_() * (0.12 if quali else 0.10) * D)
        t = 0
        out_lap = True
        stint_len = rng.randint(3, 5) if quali else rng.randint(3, 8)
        slow_p = 0.06 if quali else 0.10
        in_stint = 0
        while True:
            pit = 0
            in_pit = False
            if out_lap:
                pit = wait
                x = p * (1.09 + 0.03 * random_()) + wait
            else:
                x = p * (1.0 + sd * 2.0 * (random_() + random_() + random_() - 1.5))  # ~normal(0, sd)
                r = random_()
                if r < 0.04:
                    x += 800 + 4000 * random_()
                elif r < 0.04 + slow_p:
                    x = p * (1.12 + 0.08 * random_())  # cool-down / traffic lap
            in_stint += 1
            if not out_lap and in_stint >= stint_len:
                in_pit = True
                x = p * (1.05 + 0.03 * random_())
            lap = int(x)
            base = lap - pit
            s1 = int(base * f1 * (0.988 + 0.024 * random_())) + pit
            s2 = int(base * f2 * (0.992 + 0.016 * random_()))
            t += lap
            a_lap(lap)
            a_s1(s1)
            a_s2(s2)
            a_s3(lap - s1 - s2)
            a_pitms(pit)
            a_drv(drv)
            if t >= D:
                a_pit(random_() < 0.7)  # most cars take the flag and turn into the pits
                a_flag("FF")
                break
            a_pit(in_pit)
            a_flag("GF")
            out_lap = False
            if in_pit:
                stop = int((60_000 + 240_000 * random_()) if not quali else (90_000 + 150_000 * random_()))
                if t + stop + p >= D or random_() < 0.04:
                    break  # stays in the garage
                wait = stop
                out_lap = True
                in_stint = 0
                stint_len = rng.randint(3, 5) if quali else rng.randint(3, 8)
                if n_drivers > 1:
                    drv = drv % n_drivers + 1
        if run.laps:
            runs[e.number] = run
    session.runs = runs


# --------------------------------------------------------------------------- classification


@dataclass
class RaceRow:
    position: int | None
    entry: Entry
    status: str
    laps: int
    total_ms: int | None
    fl_lap: int
    fl_ms: int | None


def classify_race(session: Session) -> list[RaceRow]:
    """Finishing order from the time cards: (laps desc, total time asc), then non-starters."""
    rows = []
    for run in session.runs.values():
        fl_lap, fl_ms = run.best()
        rows.append(RaceRow(None, run.entry, run.status, run.laps, run.total_ms, fl_lap, fl_ms))
    rows.sort(key=lambda r: (-r.laps, r.total_ms, r.entry.number))
    for i, r in enumerate(rows, 1):
        r.position = i
    by_number = {e.number: e for e in session.entries}
    for num in session.not_started:
        rows.append(RaceRow(None, by_number[num], "Not started", 0, None, 0, None))
    return rows


@dataclass
class ClassificationRow:
    position: int
    entry: Entry
    best_lap: int
    best_ms: int | None
    laps: int


def classify_practice(session: Session) -> list[ClassificationRow]:
    """Order by best lap; cars without a time follow, still numbered (as on the site)."""
    timed, untimed = [], []
    for e in session.entries:
        run = session.runs.get(e.number)
        if run is None:
            untimed.append(ClassificationRow(0, e, 0, None, 0))
            continue
        lap_no, best = run.best()
        el = run.elapsed()[lap_no - 1]
        timed.append((best, el, ClassificationRow(0, e, lap_no, best, run.laps)))
    timed.sort(key=lambda x: (x[0], x[1]))
    rows = [r for _, _, r in timed] + untimed
    for i, r in enumerate(rows, 1):
        r.position = i
    return rows


def second_best(run: CarRun | None) -> int | None:
    if run is None or run.laps < 2:
        return None
    return sorted(run.lap_ms)[1]


def grid_from_qualifying(
    quali: Session, use_second_best: bool = False, to_back: list[str] | None = None
) -> list[GridSlot]:
    """Race grid: by best (or second-best) qualifying lap, no-time cars and penalties at the back."""
    to_back = to_back or []
    keyed, no_time = [], []
    for e in quali.entries:
        run = quali.runs.get(e.number)
        t = second_best(run) if use_second_best else (run.best()[1] if run else None)
        if e.number in to_back:
            continue
        if t is None:
            no_time.append(GridSlot(e, None))
        else:
            keyed.append((t, e.number, GridSlot(e, t)))
    keyed.sort(key=lambda x: (x[0], x[1]))
    slots = [s for _, _, s in keyed] + no_time
    by_number = {e.number: e for e in quali.entries}
    for num in to_back:
        run = quali.runs.get(num)
        t = second_best(run) if use_second_best else (run.best()[1] if run else None)
        slots.append(GridSlot(by_number[num], t))
    return slots


def running_order(session: Session) -> dict[int, list[str]]:
    """Lap number -> car numbers in order of ELAPSED at the end of that lap."""
    crossings: dict[int, list[tuple[int, str]]] = {}
    for num, run in session.runs.items():
        for i, t in enumerate(run.elapsed(), 1):
            crossings.setdefault(i, []).append((t, num))
    return {lap: [num for _, num in sorted(v)] for lap, v in crossings.items()}
