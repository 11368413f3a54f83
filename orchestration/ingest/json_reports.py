"""Al Kamel JSON reports (published from 2024 on): one object with a `session` block and either a
`classification` (results) or a `grid` list, each entry with a `drivers` list.

Entries become rows of the same raw tables as the CSV reports (race_results, classifications,
grids), values as text, under the CSV column names; what only JSON carries (pit stops,
not_finished_cause, the fastest lap's driver, manufacturer...) is kept in extra columns. The
`session` block becomes one row of `raw.report_sessions`.

The officials' standings (a `Points Data` folder's files: a `championship` block and a
`classification` of competitors, each with `points_by_session`) are read by `parse_standings`
into rows of `raw.official_standings`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .formats import (
    CLASSIFICATIONS,
    DRIVER_FIELDS,
    GRIDS,
    MAX_DRIVERS,
    OFFICIAL_STANDINGS,
    RACE_RESULTS,
    ReportKind,
    normalise_name,
)

# JSON driver keys -> CSV driver-block field names.
_DRIVER_KEYS = {
    "firstname": "firstname",
    "surname": "secondname",
    "short_name": "shortname",
    "*extra_4": "extra_4",
    "*extra_5": "extra_5",
}
# JSON entry keys -> CSV column names, per kind (keys not listed keep their normalised JSON name).
_RACE_KEYS = {
    "elapsed_time": "total_time",
    "fastest_lap_number": "fl_lapnum",
    "fastest_lap_time": "fl_time",
    "fastest_lap_kph": "fl_kph",
}
_CLASSIFICATION_KEYS = {"position": "pos", "fastest_lap_number": "lap", "time": "time"}
_GRID_KEYS = {"vehicle": "car"}

SESSION_COLUMNS = [
    "championship_name",
    "event_name",
    "session_name",
    "session_type",
    "report_mark",
    "revised_mark",
    "report_message",
    "session_date",
    "creation_date",
    "circuit_name",
    "circuit_length_m",
    "circuit_country",
    "air_temperature",
    "track_temperature",
    "track_status",
    "finalize_type",
    "finalize_time_seconds",
    "fastest_lap_time",
    "fastest_lap_kph",
    "fastest_lap_number",
    "fastest_lap_car_number",
    "fastest_lap_driver_number",
]


class ReportError(ValueError):
    """The JSON cannot be read as a results or grid report; the message is the one-line reason."""


@dataclass
class JsonReport:
    kind: ReportKind
    variant: str
    rows: list[dict[str, str | None]] = field(default_factory=list)
    session: dict[str, str | None] = field(default_factory=dict)
    entry_numbers: list[int] = field(default_factory=list)  # 1-based position of each row's entry in the list
    note: str | None = None  # what was left out on purpose, for the manifest


def as_text(value) -> str | None:
    """A JSON scalar as delivered text; empty strings and nulls are null, like empty CSV cells."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        text = str(value)
        return text if text.strip() != "" else None
    raise ReportError(f"expected a text or number, found {type(value).__name__}")


def _object(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise ReportError(f"{where} is not an object")
    return value


def _entry_row(entry: dict, kind: ReportKind, keys: dict[str, str], index: int) -> dict[str, str | None]:
    row: dict[str, str | None] = {}
    for key, value in entry.items():
        if key == "drivers":
            continue
        column = keys.get(key, normalise_name(key))
        try:
            row[column] = as_text(value)
        except ReportError as exc:
            raise ReportError(f"entry {index + 1}: '{key}': {exc}") from None
    drivers = entry.get("drivers", [])
    if not isinstance(drivers, list):
        raise ReportError(f"entry {index + 1}: 'drivers' is not a list")
    by_number: dict[int, dict] = {}
    for position, driver in enumerate(drivers, start=1):
        driver = _object(driver, f"entry {index + 1}: driver {position}")
        number = driver.get("number", position)
        if not isinstance(number, int) or not 1 <= number <= MAX_DRIVERS:
            raise ReportError(f"entry {index + 1}: driver number {number!r} is not 1..{MAX_DRIVERS}")
        by_number[number] = driver
    if kind is GRIDS:
        names = {
            n: " ".join(filter(None, [as_text(d.get("firstname")), as_text(d.get("surname"))])) or None
            for n, d in by_number.items()
        }
        for n in range(1, MAX_DRIVERS + 1):
            row[f"driver_{n}"] = names.get(n)
        row["starting_driver"] = names.get(entry.get("starting_driver_number"))
        row["qualifying_driver"] = names.get(entry.get("qualifying_driver_number"))
    else:
        for n, driver in by_number.items():
            for key, value in driver.items():
                if key == "number":
                    continue
                name = _DRIVER_KEYS.get(key, normalise_name(key))
                if name not in DRIVER_FIELDS:
                    name = normalise_name(key)
                try:
                    row[f"driver{n}_{name}"] = as_text(value)
                except ReportError as exc:
                    raise ReportError(f"entry {index + 1}: driver {n} '{key}': {exc}") from None
    return row


def _document(data: bytes) -> dict:
    """The top-level object of a JSON file, or the one-line reason it cannot be read."""
    if not data.strip():
        raise ReportError("empty file (0 bytes)" if not data else "empty JSON file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReportError("JSON is not UTF-8") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:  # brackets nested thousands deep: not a report, and not a reason to crash the run
        raise ReportError("invalid JSON: nested too deeply") from None
    return _object(document, "the document")


def parse(data: bytes) -> JsonReport:
    """Rows of a JSON report. A classification whose entries carry a total time (`elapsed_time`) is a
    race classification, as a CSV one with TOTAL_TIME is; any other is a qualifying or practice one."""
    document = _document(data)
    session = _object(document.get("session"), "'session'") if "session" in document else None
    if session is None:
        raise ReportError("JSON has no 'session' block")
    if "classification" in document:
        entries, is_grid = document["classification"], False
    elif "grid" in document:
        entries, is_grid = document["grid"], True
    else:
        raise ReportError("JSON has neither a 'classification' nor a 'grid' list")
    if not isinstance(entries, list):
        raise ReportError(f"'{'grid' if is_grid else 'classification'}' is not a list")
    if not entries:
        raise ReportError(f"'{'grid' if is_grid else 'classification'}' is empty: no data rows")
    if is_grid:
        kind, keys = GRIDS, _GRID_KEYS
    elif any(isinstance(e, dict) and "elapsed_time" in e for e in entries):
        kind, keys = RACE_RESULTS, _RACE_KEYS
    else:
        kind, keys = CLASSIFICATIONS, _CLASSIFICATION_KEYS
    report = JsonReport(kind=kind, variant="json")
    empty_slots = 0
    for index, entry in enumerate(entries):
        entry = _object(entry, f"entry {index + 1}")
        if is_grid and not entry.get("number") and not entry.get("drivers"):
            # Real grids list an empty slot as {"position": 12, "number": "", ...}: no car there.
            empty_slots += 1
            continue
        report.rows.append(_entry_row(entry, kind, keys, index))
        report.entry_numbers.append(index + 1)
    if empty_slots:
        report.note = f"{empty_slots} empty grid slot(s) without a car left out"
    report.session = _session_row(session, document.get("fastest_lap"))
    return report


def _session_row(session: dict, fastest_lap) -> dict[str, str | None]:
    def get(block, key):
        try:
            return as_text(block.get(key)) if isinstance(block, dict) else None
        except ReportError as exc:
            raise ReportError(f"session '{key}': {exc}") from None

    circuit, weather, finalize = session.get("circuit"), session.get("weather"), session.get("finalize_type")
    row = {
        key: get(session, key)
        for key in (
            "championship_name",
            "event_name",
            "session_name",
            "session_type",
            "report_mark",
            "revised_mark",
            "report_message",
            "session_date",
            "creation_date",
        )
    }
    row.update(
        {
            "circuit_name": get(circuit, "name"),
            "circuit_length_m": get(circuit, "length"),
            "circuit_country": get(circuit, "country"),
            "air_temperature": get(weather, "air_temperature"),
            "track_temperature": get(weather, "track_temperature"),
            "track_status": get(weather, "track_status"),
            "finalize_type": get(finalize, "type"),
            "finalize_time_seconds": get(finalize, "time_in_seconds"),
            "fastest_lap_time": get(fastest_lap, "time"),
            "fastest_lap_kph": get(fastest_lap, "kph"),
            "fastest_lap_number": get(fastest_lap, "lap_number"),
            "fastest_lap_car_number": get(fastest_lap, "participant_number"),
            "fastest_lap_driver_number": get(fastest_lap, "driver_number"),
        }
    )
    return row


# Keys of a standings file -> raw.official_standings columns where the normalised key is not the name.
_CHAMPIONSHIP_KEYS = {"name": "championship_name", "groupName": "championship_group_name"}
_STANDINGS_SESSION_KEYS = {"total_points": "session_total_points"}  # the competitor has its own total_points


def _text(value, where: str) -> str | None:
    try:
        return as_text(value)
    except ReportError as exc:
        raise ReportError(f"{where}: {exc}") from None


def parse_standings(data: bytes) -> JsonReport:
    """Rows of an official standings file: one per competitor and session of `points_by_session`
    (a competitor without sessions: one row, session columns null), each with the competitor's
    fields, the championship block (keys prefixed `championship_`) and the session's event and
    session names from the championship's session list."""
    document = _document(data)
    if "championship" not in document:
        raise ReportError("standings JSON has no 'championship' block")
    championship = _object(document["championship"], "'championship'")
    competitors = document.get("classification")
    if not isinstance(competitors, list):
        raise ReportError("standings JSON has no 'classification' list")
    if not competitors:
        raise ReportError("'classification' is empty: no data rows")
    head = {
        _CHAMPIONSHIP_KEYS.get(key, "championship_" + normalise_name(key)): _text(value, f"championship '{key}'")
        for key, value in championship.items()
        if key != "sessions"
    }
    sessions = championship.get("sessions", [])
    if not isinstance(sessions, list):
        raise ReportError("championship 'sessions' is not a list")
    names: dict[str | None, tuple[str | None, str | None]] = {}
    for position, listed in enumerate(sessions, start=1):
        listed = _object(listed, f"championship session {position}")
        where = f"championship session {position}"
        names[_text(listed.get("session_index"), where)] = (
            _text(listed.get("event_name"), where),
            _text(listed.get("session_name"), where),
        )
    report = JsonReport(kind=OFFICIAL_STANDINGS, variant="json")
    for index, entry in enumerate(competitors, start=1):
        entry = _object(entry, f"entry {index}")
        competitor = {
            normalise_name(k): _text(v, f"entry {index}: '{k}'") for k, v in entry.items() if k != "points_by_session"
        }
        by_session = entry.get("points_by_session") or []
        if not isinstance(by_session, list):
            raise ReportError(f"entry {index}: 'points_by_session' is not a list")
        for row in by_session or [None]:
            values = {**head, **competitor}
            if row is not None:
                row = _object(row, f"entry {index}: a session of 'points_by_session'")
                for key, value in row.items():
                    column = _STANDINGS_SESSION_KEYS.get(key, normalise_name(key))
                    values["session_" + column if column in competitor else column] = _text(
                        value, f"entry {index}: '{key}'"
                    )
                session_index = values.get("session_index")
                if names and session_index not in names:
                    raise ReportError(
                        f"entry {index}: session_index {session_index!r} is not in the championship's sessions"
                    )
                values["session_event_name"], values["session_name"] = names.get(session_index, (None, None))
            report.rows.append(values)
            report.entry_numbers.append(index)
    return report
