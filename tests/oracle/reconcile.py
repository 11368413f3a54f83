"""The marts against the files, value by value (issue 26).

For every file the warehouse counts (`raw.ingested_files` status 'loaded': whatever sessions it
has loaded, so new kinds of sessions are compared as soon as ingestion takes them), tests/oracle/files.py
reads the file again and the values users read are compared with the marts row by row, joined on
`source_file_path` and `source_row_number`:

- fct_session_results: car, overall position, status (as delivered and normalised), laps, total
  time, gaps, best lap time, number and speed, class, team, vehicle, pit stops, position in class
  (derived from the overall order, alkamel.md), grid position when the session has a grid report;
- bridge_session_result_drivers + dim_drivers: the drivers of each car, in their block order, by name;
- fct_laps: lap number, driver block, lap and sector times, speeds, elapsed, time of day, pit
  crossing, pit time, flag, improvement, class, running order overall and in class at every lap,
  and the lap's driver (the car's driver block of that number);
- fct_weather: sample time and every reading.

A difference is either explained by a documented rule (RULES below; each is itself checked, e.g. the
seed maps the delivered class to the one shown) or it is a failure. Only tables and columns named
here are read, so columns added later (a deleted-lap flag, a session part) do not disturb it.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from oracle import files as f

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"

# Differences the warehouse makes on purpose: rule -> what it is.
RULES = {
    "class_alias": "class shown as the class_aliases seed's normalised name of the delivered spelling (e.g. GTDPRO -> GTD PRO)",
    "status_alias": "status normalised through the status_aliases seed (Classified -> classified)",
    "status_derived": "a qualifying/practice file without STATUS: not_started when the car has no time and no lap, else classified",
    "junior_marker": "'(J)' glued to a surname is removed, is_junior set (alkamel.md)",
    "latest_spelling": "a driver or team is shown under its latest spelling (the same person or team, another spelling in a later file)",
    "lap_class_from_time_card": "a car missing from its session's classification takes the time card's own CLASS",
}


@dataclass
class Summary:
    files: Counter = field(default_factory=Counter)  # kind -> files compared
    rows: Counter = field(default_factory=Counter)  # mart -> rows compared
    values: Counter = field(default_factory=Counter)  # mart -> values compared
    by_rule: Counter = field(default_factory=Counter)  # rule -> values that differ by that rule
    not_compared: Counter = field(default_factory=Counter)  # why -> files or rows
    failures: list[str] = field(default_factory=list)

    def fail(self, where: str, column: str, expected, actual) -> None:
        self.failures.append(f"{where}: {column} expected {expected!r}, marts have {actual!r}")

    def text(self) -> str:
        lines = [
            f"files compared: {sum(self.files.values())} ({', '.join(f'{k} {v}' for k, v in sorted(self.files.items()))})",
            f"rows compared: {sum(self.rows.values())} ({', '.join(f'{k} {v}' for k, v in sorted(self.rows.items()))})",
            f"values compared: {sum(self.values.values())} ({', '.join(f'{k} {v}' for k, v in sorted(self.values.items()))})",
            "differences by documented rule: "
            + (", ".join(f"{k} {v}" for k, v in sorted(self.by_rule.items())) or "none"),
            f"unexplained differences: {len(self.failures)}",
        ]
        if self.not_compared:
            lines.append("not compared: " + ", ".join(f"{k} {v}" for k, v in sorted(self.not_compared.items())))
        lines += ["  " + failure for failure in self.failures[:40]]
        return "\n".join(lines)


def seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class Reconciler:
    def __init__(self, warehouse: Path, raw: Path):
        self.raw = Path(raw)
        self.con = duckdb.connect(str(warehouse), read_only=True)
        self.summary = Summary()
        self.class_alias = {r["alias"]: r["class_name"] for r in seed("class_aliases")}
        self.status_alias = {r["alias"].lower(): r["status"] for r in seed("status_aliases")}
        self._data: dict[str, bytes] = {}

    # ------------------------------------------------------------------------------------ helpers

    def q(self, sql: str, params=None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def data(self, path: str) -> bytes:
        if path not in self._data:
            self._data[path] = (self.raw / path).read_bytes()
        return self._data[path]

    def check(
        self, mart: str, where: str, column: str, expected, actual, rule: str | None = None, explained=None
    ) -> None:
        """One value: equal, or different by `rule` when `explained` (the rule's own check) holds."""
        self.summary.values[mart] += 1
        if expected == actual:
            return
        if rule and explained is not None and explained(expected, actual):
            self.summary.by_rule[rule] += 1
            return
        self.summary.fail(where, column, expected, actual)

    def normalised_class(self, delivered: str | None) -> str | None:
        return self.class_alias.get(delivered, delivered) if delivered is not None else None

    # ---------------------------------------------------------------------------------------- run

    def run(self) -> Summary:
        try:
            manifest = self.q(
                "select path, kind, report, session_key from raw.ingested_files where status = 'loaded' order by path"
            )
            by_kind = defaultdict(list)
            for path, kind, report, session in manifest:
                by_kind[kind].append((path, report, session))
            self.classes = dict(self.q("select class_id, class_name from marts.dim_classes"))
            self.teams = dict(self.q("select team_id, team_name from marts.dim_teams"))
            self.drivers = {
                r[0]: r[1:] for r in self.q("select driver_id, first_name, last_name from marts.dim_drivers")
            }
            self.bridge = defaultdict(list)
            for session, car, order, driver, is_junior in self.q(
                "select session_id, car_number, driver_order, driver_id, is_junior from marts.bridge_session_result_drivers"
            ):
                self.bridge[(session, car)].append((order, driver, is_junior))
            self.grids = self._grids(by_kind.get("grids", []))
            self.spellings = self._spellings(by_kind)
            self.session_classes: dict[str, dict[str, str | None]] = defaultdict(dict)
            for kind in ("race_results", "classifications"):
                for path, report, session in by_kind.get(kind, []):
                    if (report or "").lower() != "results":
                        self.summary.not_compared[f"{report}: an alternative order, not the classification"] += 1
                        continue
                    self._results(path, session, kind == "race_results")
            for path, _, session in by_kind.get("time_cards", []):
                self._laps(path, session)
            for path, _, session in by_kind.get("weather", []):
                self._weather(path, session)
            for kind, entries in by_kind.items():
                if kind not in ("race_results", "classifications", "time_cards", "weather", "grids"):
                    self.summary.not_compared[f"kind {kind}: no oracle yet"] += len(entries)
            self._nothing_else(manifest)
            return self.summary
        finally:
            self.con.close()

    def _grids(self, grid_files) -> dict[str, dict[str, int | None]]:
        grids: dict[str, dict[str, int | None]] = {}
        for path, _, session in grid_files:
            slots = f.grid_of(self.data(path), f.is_json(path))
            grids.setdefault(session, {}).update({s.car_number: s.position for s in slots})
            self.summary.files["grids"] += 1
        return grids

    def _spellings(self, by_kind) -> dict[str, set]:
        """Every (first, last) the loaded classification files deliver for each person (IMSA id, and
        name key), for the latest-spelling rule."""
        found: dict[str, set] = defaultdict(set)
        for kind in ("race_results", "classifications"):
            for path, report, _ in by_kind.get(kind, []):
                if (report or "").lower() != "results":
                    continue
                for result in self._read_results(path, kind == "race_results"):
                    for d in result.drivers:
                        found["name:" + f.name_key(d.first_name, d.last_name)].add((d.first_name, d.last_name))
                        if d.imsa_id:
                            found["imsa:" + d.imsa_id].add((d.first_name, d.last_name))
        return found

    def _read_results(self, path: str, race: bool) -> list[f.Result]:
        if f.is_json(path):
            return f.results_of_json(self.data(path), race)
        return f.results_of_csv(self.data(path))

    def _same_person(self, driver: f.Driver):
        keys = ["name:" + f.name_key(driver.first_name, driver.last_name)] + (
            ["imsa:" + driver.imsa_id] if driver.imsa_id else []
        )

        def explained(expected, actual) -> bool:
            return any(actual in self.spellings.get(k, ()) for k in keys)

        return explained

    # ------------------------------------------------------------------------------------ results

    def _results(self, path: str, session: str, race: bool) -> None:
        mart = "fct_session_results"
        expected = self._read_results(path, race)
        actual = {
            r[0]: r[1:]
            for r in self.q(
                """select source_row_number, session_id, car_number, finish_position, status_delivered, status, laps,
                      total_time_ms, gap_first, gap_previous, best_lap_ms, best_lap_number, best_lap_kph, class_id,
                      team_id, vehicle, class_position, grid_position, grid_source, pit_stops
               from marts.fct_session_results where source_file_path = ?""",
                [path],
            )
        }
        self.summary.files["results" if race else "classifications"] += 1
        self.check(mart, path, "rows", len(expected), len(actual))

        def status_of(r: f.Result) -> str | None:
            if r.status_delivered is not None:
                return self.status_alias.get(r.status_delivered.lower())
            return "not_started" if r.best_lap_ms is None and not r.laps else "classified"

        class_of = {r.row: self.normalised_class(r.class_delivered) for r in expected}
        in_class = f.class_positions(expected, status_of, lambda r: class_of[r.row])
        for r in expected:
            row = actual.get(r.row)
            where = f"{path} row {r.row}"
            if row is None:
                self.summary.fail(where, "row", "present", "missing")
                continue
            (
                session_id,
                car,
                position,
                status_delivered,
                status,
                laps,
                total,
                gap_first,
                gap_previous,
                best,
                best_n,
                best_kph,
                class_id,
                team_id,
                vehicle,
                class_position,
                grid,
                grid_source,
                pit_stops,
            ) = row
            self.summary.rows[mart] += 1
            self.session_classes[session_id][r.car_number] = class_of[r.row]
            self.check(mart, where, "session_id", session, session_id)
            self.check(mart, where, "car_number", r.car_number, car)
            self.check(mart, where, "finish_position", r.finish_position, position)
            self.check(mart, where, "status_delivered", r.status_delivered, status_delivered)
            rule = "status_alias" if r.status_delivered is not None else "status_derived"
            self.check(
                mart,
                where,
                "status",
                r.status_delivered,
                status,
                rule,
                lambda e, a, r=r: a is not None and a == status_of(r),
            )
            self.check(mart, where, "laps", r.laps, laps)
            self.check(mart, where, "total_time_ms", r.total_time_ms, total)
            self.check(mart, where, "gap_first", r.gap_first, gap_first)
            self.check(mart, where, "gap_previous", r.gap_previous, gap_previous)
            self.check(mart, where, "best_lap_ms", r.best_lap_ms, best)
            self.check(mart, where, "best_lap_number", r.best_lap_number, best_n)
            self.check(mart, where, "best_lap_kph", r.best_lap_kph, best_kph)
            self.check(
                mart,
                where,
                "class",
                r.class_delivered,
                self.classes.get(class_id),
                "class_alias",
                lambda e, a: a == self.normalised_class(e) and e in self.class_alias,
            )
            team = self.teams.get(team_id)
            self.check(
                mart,
                where,
                "team",
                r.team_name,
                team,
                "latest_spelling",
                lambda e, a: e is not None and a is not None and f.name_key(e, None) == f.name_key(a, None),
            )
            self.check(mart, where, "vehicle", r.vehicle, vehicle)
            if r.pit_stops is not None:
                self.check(mart, where, "pit_stops", r.pit_stops, pit_stops)
            self.check(mart, where, "class_position", in_class[r.row], class_position)
            if race:
                grid_report = self.grids.get(session)
                if grid_report is not None:
                    self.check(mart, where, "grid_position", grid_report.get(r.car_number), grid)
                    self.check(
                        mart, where, "grid_source", "grid report" if r.car_number in grid_report else None, grid_source
                    )
                else:
                    self.summary.not_compared[
                        "race rows whose grid comes from the qualifying order (no grid report)"
                    ] += 1
            self._drivers(where, session_id, r)

    def _drivers(self, where: str, session: str, r: f.Result) -> None:
        mart = "bridge_session_result_drivers"
        got = sorted(self.bridge.get((session, r.car_number), []))
        self.check(mart, where, "driver orders", [d.order for d in r.drivers], [o for o, _, _ in got])
        for d, (_order, driver_id, is_junior) in zip(r.drivers, got):
            self.summary.rows[mart] += 1
            name = self.drivers.get(driver_id)
            shown = tuple(name) if name else None
            expected = (d.first_name, d.last_name)
            self.check(
                "dim_drivers",
                f"{where} driver {d.order}",
                "name",
                expected,
                shown,
                "latest_spelling",
                self._same_person(d),
            )
            if d.is_junior:
                self.summary.by_rule["junior_marker"] += 1  # the surname compared above is the one without '(J)'
            self.check(mart, f"{where} driver {d.order}", "is_junior", d.is_junior, is_junior)

    # --------------------------------------------------------------------------------------- laps

    def _laps(self, path: str, session: str) -> None:
        mart = "fct_laps"
        expected = f.laps_of_csv(self.data(path))
        actual = {
            r[0]: r[1:]
            for r in self.q(
                """select source_row_number, session_id, car_number, lap_number, driver_order, lap_time_ms, s1_ms, s2_ms, s3_ms,
                      kph, top_speed_kph, elapsed_ms, time_of_day_ms, in_pit, pit_time_ms, flag, lap_improvement,
                      class_id, overall_position, class_position, is_class_leader, driver_id
               from marts.fct_laps where source_file_path = ?""",
                [path],
            )
        }
        self.summary.files["time_cards"] += 1
        self.check(mart, path, "rows", len(expected), len(actual))
        classes = self.session_classes.get(session, {})

        def class_of(lap: f.Lap) -> str | None:
            if lap.car_number in classes:
                return classes[lap.car_number]
            return self.normalised_class(lap.class_delivered)

        order = f.running_order(expected, class_of)
        drivers = {(car, o): d for (s, car), blocks in self.bridge.items() if s == session for o, d, _ in blocks}
        for lap in expected:
            row = actual.get(lap.row)
            where = f"{path} row {lap.row}"
            if row is None:
                self.summary.fail(where, "row", "present", "missing")
                continue
            self.summary.rows[mart] += 1
            (
                session_id,
                car,
                number,
                driver_order,
                lap_ms,
                s1,
                s2,
                s3,
                kph,
                top,
                elapsed,
                hour,
                in_pit,
                pit,
                flag,
                improvement,
                class_id,
                overall,
                in_class,
                leader,
                driver_id,
            ) = row
            for column, e, a in (
                ("session_id", session, session_id),
                ("car_number", lap.car_number, car),
                ("lap_number", lap.lap_number, number),
                ("driver_order", lap.driver_order, driver_order),
                ("lap_time_ms", lap.lap_time_ms, lap_ms),
                ("s1_ms", lap.s1_ms, s1),
                ("s2_ms", lap.s2_ms, s2),
                ("s3_ms", lap.s3_ms, s3),
                ("kph", lap.kph, kph),
                ("top_speed_kph", lap.top_speed_kph, top),
                ("elapsed_ms", lap.elapsed_ms, elapsed),
                ("time_of_day_ms", lap.time_of_day_ms, hour),
                ("in_pit", lap.in_pit, in_pit),
                ("pit_time_ms", lap.pit_time_ms, pit),
                ("flag", lap.flag, flag),
                ("lap_improvement", lap.lap_improvement, improvement),
                ("overall_position", order[lap.row][0], overall),
                ("class_position", order[lap.row][1], in_class),
                ("is_class_leader", order[lap.row][1] == 1, leader),
            ):
                self.check(mart, where, column, e, a)
            if lap.car_number in classes:
                self.check(mart, where, "class", classes[lap.car_number], self.classes.get(class_id))
            else:
                self.check(
                    mart,
                    where,
                    "class",
                    lap.class_delivered,
                    self.classes.get(class_id),
                    "lap_class_from_time_card",
                    lambda e, a: a == self.normalised_class(e),
                )
                if self.classes.get(class_id) is None:
                    self.summary.values[mart] -= 1  # a class no classification names has no dim_classes row
            block = drivers.get((lap.car_number, lap.driver_order))
            if block is not None:
                self.check(mart, where, "driver_id (the car's driver block of that number)", block, driver_id)
            else:
                self.summary.not_compared["laps of a driver block the classification lacks (driver by name)"] += 1

    # ------------------------------------------------------------------------------------ weather

    def _weather(self, path: str, session: str) -> None:
        mart = "fct_weather"
        expected = f.weather_of_csv(self.data(path))
        actual = {
            r[0]: r[1:]
            for r in self.q(
                """select source_row_number, session_id, sample_at_utc, air_temp_f, track_temp_f, humidity_pct, pressure_inhg,
                      wind_speed, wind_direction_deg, rain
               from marts.fct_weather where source_file_path = ?""",
                [path],
            )
        }
        self.summary.files["weather"] += 1
        self.check(mart, path, "rows", len(expected), len(actual))
        for s in expected:
            row = actual.get(s.row)
            where = f"{path} row {s.row}"
            if row is None:
                self.summary.fail(where, "row", "present", "missing")
                continue
            self.summary.rows[mart] += 1
            at = (
                None if s.utc_seconds is None else dt.datetime.fromtimestamp(s.utc_seconds, dt.UTC).replace(tzinfo=None)
            )
            for column, e, a in zip(
                (
                    "session_id",
                    "sample_at_utc",
                    "air_temp_f",
                    "track_temp_f",
                    "humidity_pct",
                    "pressure_inhg",
                    "wind_speed",
                    "wind_direction_deg",
                    "rain",
                ),
                (
                    session,
                    at,
                    s.air_temp_f,
                    s.track_temp_f,
                    s.humidity_pct,
                    s.pressure_inhg,
                    s.wind_speed,
                    s.wind_direction_deg,
                    s.rain,
                ),
                row,
            ):
                self.check(mart, where, column, e, a)

    # ------------------------------------------------------------------------------ nothing else

    def _nothing_else(self, manifest) -> None:
        """The marts hold rows of loaded files only."""
        loaded = [p for p, *_ in manifest]
        for mart in ("fct_session_results", "fct_laps", "fct_weather"):
            stray = self.q(
                f"select distinct source_file_path from marts.{mart} where not list_contains(?, source_file_path)",
                [loaded],
            )
            self.summary.values[mart] += 1
            if stray:
                self.summary.fail(mart, "source_file_path", "a loaded file", [s for (s,) in stray][:5])


def reconcile(warehouse: Path, raw: Path) -> Summary:
    return Reconciler(warehouse, raw).run()
