"""The fetch's settings from the environment (the Dagster sensor and job read them; so can a shell).

- ``PITWALL_FETCH``           ``on``: the fetch sensor starts running in a new Dagster instance (default off)
- ``PITWALL_FETCH_SITE``      the site's root URL (default the IMSA results site)
- ``PITWALL_FETCH_SEASONS``   years, comma-separated, or ``all`` (default the current year)
- ``PITWALL_FETCH_SERIES``    series folder name parts, comma-separated (default every series)
- ``PITWALL_FETCH_EVENTS``    event folder name parts, comma-separated (default every event)
- ``PITWALL_FETCH_PDF``       ``on``: PDFs too
- ``PITWALL_FETCH_INTERVAL``  seconds between two fetches of the sensor (default 300)
- ``PITWALL_FETCH_PAUSE``     seconds between two requests (default 0.2)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date

from .mirror import DEFAULT_SITE, FetchOptions

SWITCH_ENV = "PITWALL_FETCH"
SITE_ENV = "PITWALL_FETCH_SITE"
SEASONS_ENV = "PITWALL_FETCH_SEASONS"
SERIES_ENV = "PITWALL_FETCH_SERIES"
EVENTS_ENV = "PITWALL_FETCH_EVENTS"
PDF_ENV = "PITWALL_FETCH_PDF"
INTERVAL_ENV = "PITWALL_FETCH_INTERVAL"
PAUSE_ENV = "PITWALL_FETCH_PAUSE"

DEFAULT_INTERVAL = 300
DEFAULT_PAUSE = 0.2
_ON = ("on", "1", "true", "yes", "running")


def parse_seasons(values: Iterable[str]) -> tuple[int, ...] | None:
    """['2025', '2026'] -> (2025, 2026); 'all' anywhere -> None (every season); nothing -> this year."""
    years: list[int] = []
    for value in values:
        for item in str(value).replace(",", " ").split():
            if item.lower() == "all":
                return None
            if not (item.isdigit() and len(item) == 4):
                raise ValueError(f"season {item!r} is not a year (YYYY) or 'all'")
            years.append(int(item))
    return tuple(sorted(set(years))) or (date.today().year,)


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number") from None


def options_from_env(environ: Mapping[str, str] | None = None) -> FetchOptions:
    environ = os.environ if environ is None else environ
    return FetchOptions(
        site=environ.get(SITE_ENV, "").strip() or DEFAULT_SITE,
        seasons=parse_seasons([environ.get(SEASONS_ENV, "")]),
        series=_list(environ.get(SERIES_ENV)),
        events=_list(environ.get(EVENTS_ENV)),
        pdf=environ.get(PDF_ENV, "").strip().lower() in _ON,
        pause=_number(environ, PAUSE_ENV, DEFAULT_PAUSE),
    )


def interval_from_env(environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    return max(1, int(_number(environ, INTERVAL_ENV, DEFAULT_INTERVAL)))


def switched_on(environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    return environ.get(SWITCH_ENV, "").strip().lower() in _ON
