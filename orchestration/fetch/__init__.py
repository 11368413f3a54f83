"""Mirror of the timing site's data files into the raw root (`pitwall fetch`). Plain Python: no Dagster here."""

from .listing import Entry, Listing, parse_listing
from .mirror import (
    DEFAULT_SITE,
    STATE_FILE,
    Failure,
    FetchBusy,
    FetchOptions,
    FetchResult,
    fetch,
    in_scope,
    site_root,
)

__all__ = [
    "DEFAULT_SITE",
    "STATE_FILE",
    "Entry",
    "Failure",
    "FetchBusy",
    "FetchOptions",
    "FetchResult",
    "Listing",
    "fetch",
    "in_scope",
    "parse_listing",
    "site_root",
]
