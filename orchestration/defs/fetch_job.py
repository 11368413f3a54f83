"""The fetch job: the results site's new and changed files into the raw root, as a Dagster run.

One op over the plain fetch (orchestration/fetch); the raw files sensor (orchestration/defs/automation.py)
then starts refresh_warehouse on what it wrote. No `from __future__ import annotations` here:
Dagster reads the op's config class from its annotation.
"""

import dagster as dg

FETCH_JOB_NAME = "fetch_and_refresh"


def _fetch_defaults():
    from ..fetch.config import options_from_env

    try:
        return options_from_env()
    except ValueError:
        from ..fetch import FetchOptions

        return FetchOptions()  # a bad PITWALL_FETCH_* value fails the run (below), not the code location


_DEFAULTS = _fetch_defaults()


class FetchConfig(dg.Config):
    """What the fetch mirrors; the defaults come from PITWALL_FETCH_* (orchestration/fetch/config.py)."""

    site: str = _DEFAULTS.site
    seasons: list[str] = [str(y) for y in _DEFAULTS.seasons or ()] or ["all"]
    series: list[str] = list(_DEFAULTS.series)
    events: list[str] = list(_DEFAULTS.events)
    pdf: bool = _DEFAULTS.pdf


@dg.op(
    name="fetch_results_site",
    out=dg.Out(dg.Nothing),
    tags={"kind": "python"},
    description="Mirror the results site's new and changed data files into the raw root (pitwall fetch).",
)
def fetch_results_site(context: dg.OpExecutionContext, config: FetchConfig):
    from ..fetch import FetchOptions, fetch
    from ..fetch.config import options_from_env, parse_seasons
    from ..warehouse import settings

    env = options_from_env()  # the pause between requests
    options = FetchOptions(
        site=config.site,
        seasons=parse_seasons(config.seasons),
        series=tuple(config.series),
        events=tuple(config.events),
        pdf=config.pdf,
        pause=env.pause,
    )
    raw_root = settings.raw_dir()
    context.log.info(f"fetching {options.site} (seasons {config.seasons}) into {raw_root}")
    result = fetch(raw_root, options)
    for failure in result.failed:
        context.log.warning(f"failed: {failure}")
    metadata = {
        "files_fetched": dg.MetadataValue.int(len(result.downloaded)),
        "bytes": dg.MetadataValue.int(result.bytes),
        "files_unchanged": dg.MetadataValue.int(result.unchanged),
        "files_listed": dg.MetadataValue.int(result.listed),
        "failures": dg.MetadataValue.int(len(result.failed)),
        "folders_read": dg.MetadataValue.int(result.pages),
        "seconds": dg.MetadataValue.float(round(result.seconds, 2)),
        "fetched": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in result.downloaded[:200]) or "nothing new"),
    }
    if result.failed:
        metadata["failed"] = dg.MetadataValue.md("\n".join(f"- `{f.path}`: {f.reason}" for f in result.failed[:200]))
    context.log.info(result.summary())
    if result.failed:
        # Whatever was fetched is in the raw root all the same (and the raw sensor refreshes on it).
        raise dg.Failure(
            description=f"{len(result.failed)} file(s) or folder(s) failed: {result.summary()}", metadata=metadata
        )
    yield dg.Output(None, metadata=metadata)


@dg.job(
    name=FETCH_JOB_NAME,
    executor_def=dg.in_process_executor,
    description=(
        "Fetch the results site's new and changed files into the raw root (PITWALL_FETCH_SITE, _SEASONS, "
        "_SERIES, _EVENTS); the raw files sensor then starts refresh_warehouse on them."
    ),
    tags={"pitwall/kind": "fetch"},
)
def fetch_and_refresh():
    fetch_results_site()
