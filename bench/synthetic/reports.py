"""Turn a simulated session into the site's CSV files.

File names, header lines and value forms follow the real Al Kamel files:
`03_Results_<Session>_<Mark>.CSV`, `23_Time Cards_<Session>.CSV`, `26_Weather_<Session>.CSV`
and, for races, `00_Grid_<Session>_<Mark>.CSV`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .formats import (
    GRID_HEADER,
    MAX_DRIVER_BLOCKS,
    MS3,
    MULTI_DRIVER_ROW_SHORTFALL,
    TABLES,
    TIME_CARDS_HEADER,
    WEATHER_HEADER,
    classification_header,
    fmt_gap_laps,
    fmt_gap_time,
    fmt_kph,
    fmt_time,
    race_results_header,
    write_csv,
)
from .model import ClassificationRow, Entry, RaceRow, Session, classify_practice, classify_race


def session_folder_name(session: Session) -> str:
    return f"{session.stamp:%Y%m%d%H%M}_{session.name}"


def results_file_name(session: Session, mark: str) -> str:
    return f"03_Results_{session.name}_{mark}.CSV"


def grid_file_name(session: Session, mark: str) -> str:
    return f"00_Grid_{session.name}_{mark}.CSV"


def time_cards_file_name(session: Session) -> str:
    return f"23_Time Cards_{session.name}.CSV"


def weather_file_name(session: Session) -> str:
    return f"26_Weather_{session.name}.CSV"


# --------------------------------------------------------------------------- results


def _entry_tail(e: Entry, n_drivers: int) -> str:
    """Entry cells and driver block(s) of a results row, ';'-terminated."""
    cells = e.entry_cells()
    if n_drivers == 1:
        cells += e.drivers[0].result_cells()
    else:
        for i in range(MAX_DRIVER_BLOCKS):
            cells += e.drivers[i].result_cells() if i < len(e.drivers) else [""] * 11
        cells = cells[: len(cells) - MULTI_DRIVER_ROW_SHORTFALL]
    return ";".join(cells) + ";"


def _gap(laps: int, total: int, ref_laps: int, ref_total: int) -> str:
    if laps < ref_laps:
        return fmt_gap_laps(ref_laps - laps)
    return fmt_gap_time(total - ref_total)


def race_result_lines(session: Session, rows: list[RaceRow], n_drivers: int) -> list[str]:
    length = session.circuit.length_m
    lines = []
    leader = prev = None
    for r in rows:
        tail = _entry_tail(r.entry, n_drivers)
        if r.position is None:  # not started
            lines.append(f";{r.entry.number};{r.status};0;;;;0;;;{tail}")
            continue
        if leader is None:
            g1 = gp = "-"
            leader = r
        else:
            g1 = _gap(r.laps, r.total_ms, leader.laps, leader.total_ms)
            gp = _gap(r.laps, r.total_ms, prev.laps, prev.total_ms)
        prev = r
        lines.append(
            f"{r.position};{r.entry.number};{r.status};{r.laps};{fmt_time(r.total_ms)};{g1};{gp};"
            f"{r.fl_lap};{fmt_time(r.fl_ms)};{fmt_kph(length, r.fl_ms)};{tail}"
        )
    return lines


def classification_lines(session: Session, rows: list[ClassificationRow], n_drivers: int) -> list[str]:
    length = session.circuit.length_m
    lines = []
    first = prev = None
    for r in rows:
        tail = _entry_tail(r.entry, n_drivers)
        if r.best_ms is None:
            lines.append(f"{r.position};{r.entry.number};0;;;;;{r.laps};{tail}")
            continue
        if first is None:
            g1 = gp = "-"
            first = r
        else:
            g1 = fmt_gap_time(r.best_ms - first.best_ms)
            gp = fmt_gap_time(r.best_ms - prev.best_ms)
        prev = r
        lines.append(
            f"{r.position};{r.entry.number};{r.best_lap};{fmt_time(r.best_ms)};{g1};{gp};"
            f"{fmt_kph(length, r.best_ms)};{r.laps};{tail}"
        )
    return lines


def grid_lines(session: Session, quali: Session | None) -> list[str]:
    lines = []
    for i, slot in enumerate(session.grid, 1):
        e = slot.entry
        names = [d.full_name for d in e.drivers[:6]] + [""] * (6 - min(6, len(e.drivers)))
        qdriver = e.drivers[0].full_name
        if quali is not None and e.number in quali.runs:
            run = quali.runs[e.number]
            best_lap, _ = run.best()
            qdriver = e.drivers[run.driver_idx[best_lap - 1] - 1].full_name
        time = fmt_time(slot.time_ms) if slot.time_ms is not None else ""
        lines.append(
            f"{i};{e.cls};{e.number};{e.drivers[0].full_name};{qdriver};{';'.join(names)};{e.team};{e.vehicle};{time};"
        )
    return lines


# --------------------------------------------------------------------------- time cards


def _marks(values_by_car: dict[str, list[int]], elapsed_by_car: dict[str, list[int]]) -> dict[str, dict[int, int]]:
    """Improvement marks: 2 on each car's best, 3 on the session's best (earliest on a tie)."""
    marks: dict[str, dict[int, int]] = {}
    overall = None
    for num, vals in values_by_car.items():
        if not vals:
            continue
        i = min(range(len(vals)), key=vals.__getitem__)
        marks[num] = {i: 2}
        key = (vals[i], elapsed_by_car[num][i], num)
        if overall is None or key < overall[0]:
            overall = (key, num, i)
    if overall is not None:
        marks[overall[1]][overall[2]] = 3
    return marks


def _mark_column(k: int, marks: dict[int, int]) -> list[str]:
    col = ["0"] * k
    for i, m in marks.items():
        col[i] = str(m)
    return col


def time_card_lines(session: Session) -> list[str]:
    """One line per lap, cars in NUMBER text order, built column by column (the hot path)."""
    length3600 = session.circuit.length_m * 3600
    start = session.start_tod_ms
    runs = session.runs
    elapsed = {num: r.elapsed() for num, r in runs.items()}
    lap_marks = _marks({n: r.lap_ms for n, r in runs.items()}, elapsed)
    s1_marks = _marks({n: r.s1 for n, r in runs.items()}, elapsed)
    s2_marks = _marks({n: r.s2 for n, r in runs.items()}, elapsed)
    s3_marks = _marks({n: r.s3 for n, r in runs.items()}, elapsed)
    longest = max((v[-1] for v in elapsed.values() if v), default=0) // 1000
    TABLES.ensure(longest, start // 1000, start // 1000 + longest + 1)
    C, L, H, P, M = TABLES.compact, TABLES.large, TABLES.hour, TABLES.pit, MS3
    kph: dict[int, str] = {}
    lines: list[str] = []
    join = ";".join
    for num in sorted(runs):
        run = runs[num]
        e = run.entry
        el = elapsed[num]
        k = len(el)
        names = [d.full_name for d in e.drivers]
        tail = f"{e.cls};;{e.team};{e.manufacturer};"
        lines.extend(
            map(
                join,
                zip(
                    [num] * k,
                    [str(d) for d in run.driver_idx],
                    [str(i) for i in range(1, k + 1)],
                    [C[x // 1000] + M[x % 1000] for x in run.lap_ms],
                    _mark_column(k, lap_marks.get(num, {})),
                    ["B" if x else "" for x in run.in_pit],
                    [C[x // 1000] + M[x % 1000] for x in run.s1],
                    _mark_column(k, s1_marks.get(num, {})),
                    [C[x // 1000] + M[x % 1000] for x in run.s2],
                    _mark_column(k, s2_marks.get(num, {})),
                    [C[x // 1000] + M[x % 1000] for x in run.s3],
                    _mark_column(k, s3_marks.get(num, {})),
                    [kph.get(x) or kph.setdefault(x, f"{length3600 / x:.1f}") for x in run.lap_ms],
                    [C[x // 1000] + M[x % 1000] for x in el],
                    [H[x // 1000] + M[x % 1000] for x in (start + x for x in el)],
                    [L[x // 1000] + M[x % 1000] for x in run.s1],
                    [L[x // 1000] + M[x % 1000] for x in run.s2],
                    [L[x // 1000] + M[x % 1000] for x in run.s3],
                    [""] * k,  # TOP_SPEED: empty on the real files
                    [names[d - 1] for d in run.driver_idx],
                    [P[x // 1000] + M[x % 1000] if x else "" for x in run.pit_ms],
                    [tail + f + ";" for f in run.flags],
                ),
            )
        )
    return lines


# --------------------------------------------------------------------------- weather


def _utc_str(epoch: int) -> str:
    """8/2/2024 6:55:26 PM (UTC), as in the real weather files."""
    days, s = divmod(epoch, 86_400)
    day = _utc_day(days)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{day} {h % 12 or 12}:{m:02d}:{s:02d} {'AM' if h < 12 else 'PM'}"


_DAY_CACHE: dict[int, str] = {}


def _utc_day(days: int) -> str:
    text = _DAY_CACHE.get(days)
    if text is None:
        d = datetime.fromtimestamp(days * 86_400, tz=UTC)
        text = _DAY_CACHE[days] = f"{d.month}/{d.day}/{d.year}"
    return text


def weather_lines(rng: random.Random, session: Session) -> list[str]:
    c = session.circuit
    air, track, hum, hpa = c.weather
    air += rng.uniform(-4, 4)
    track += rng.uniform(-5, 7)
    hum = max(20, min(95, hum + rng.randint(-8, 8)))
    hpa += rng.uniform(-6, 6)
    wind_dir = rng.randint(0, 359)
    local = session.stamp + timedelta(milliseconds=session.start_delay_ms)
    start_utc = int((local - timedelta(hours=c.utc_offset_h)).replace(tzinfo=UTC).timestamp())
    t = start_utc + rng.randint(5, 40)
    end = start_utc + session.duration_ms // 1000 + rng.randint(240, 600)
    lines = []
    while t <= end:
        air += rng.gauss(0, 0.08)
        track += rng.gauss(0, 0.15)
        if rng.random() < 0.1:
            hum = max(15, min(99, hum + rng.choice((-1, 1))))
        hpa += rng.gauss(0, 0.03)
        wind_dir = (wind_dir + rng.randint(-40, 40)) % 360
        wind = round(rng.randint(0, 8) * 0.6476, 1)
        air_txt = f"{round(air, 1) + rng.choice((0.00008, -0.00002, 0.00004, -0.00006)):.5f}"
        track_txt = f"{round(track, 2):g}"
        lines.append(
            f"{t};{_utc_str(t)};{air_txt};{track_txt};{hum};{hpa * 0.0295299830714:.9f};{wind:g};{wind_dir};-1;"
        )
        t += 60 if rng.random() < 0.8 else 65
    return lines


# --------------------------------------------------------------------------- one session folder


def write_session(
    folder: Path,
    session: Session,
    rng: random.Random,
    *,
    n_drivers: int = 1,
    marks: tuple[str, ...] = ("Official",),
    quali: Session | None = None,
    provisional_rows: list | None = None,
) -> int:
    """Write every file of a session into `folder`; returns the number of data lines written.

    `marks` lists the results marks to publish (e.g. ('Provisional', 'Official')); a
    Provisional file takes `provisional_rows` when given (a wrong order later corrected).
    """
    lines = 0
    if session.kind == "race":
        rows = classify_race(session)
        for mark in marks:
            use = provisional_rows if (mark != "Official" and provisional_rows is not None) else rows
            lines += write_csv(
                folder / results_file_name(session, mark),
                race_results_header(n_drivers),
                race_result_lines(session, use, n_drivers),
            )
        lines += write_csv(folder / grid_file_name(session, "Official"), GRID_HEADER, grid_lines(session, quali))
    else:
        rows = classify_practice(session)
        for mark in marks:
            lines += write_csv(
                folder / results_file_name(session, mark),
                classification_header(n_drivers),
                classification_lines(session, rows, n_drivers),
            )
    lines += write_csv(folder / time_cards_file_name(session), TIME_CARDS_HEADER, time_card_lines(session))
    lines += write_csv(folder / weather_file_name(session), WEATHER_HEADER, weather_lines(rng, session))
    return lines
