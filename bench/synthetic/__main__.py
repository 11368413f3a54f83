"""python -m bench.synthetic --out DIR [--seed N] [--series N] [--seasons N]
                                     [--events-per-season N] [--cars N] [--jobs N]
python -m bench.synthetic --sample [--out DIR]   (default: the repository's raw/)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .sample import REPO_RAW, SAMPLE_SEED, write_sample
from .tree import write_tree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.synthetic",
        description="Write synthetic Al Kamel timing files (invented data, deterministic per seed).",
    )
    parser.add_argument("--out", type=Path, help="root folder to write into (required unless --sample)")
    parser.add_argument(
        "--sample",
        action="store_true",
        help="write THE Carrera Cup sample season (default --out: the repository's raw/)",
    )
    parser.add_argument("--seed", type=int, default=None, help=f"random seed (default 1; sample {SAMPLE_SEED})")
    parser.add_argument("--series", type=int, default=8, help="series at every event (default 8)")
    parser.add_argument("--seasons", type=int, default=1, help="seasons (default 1, ending in 2024)")
    parser.add_argument("--events-per-season", type=int, default=14, help="events per season (default 14)")
    parser.add_argument("--cars", type=int, default=40, help="cars per series (default 40)")
    parser.add_argument("--first-year", type=int, default=None, help="first season (default 2025 - seasons)")
    parser.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default: CPU count); does not change the output"
    )
    args = parser.parse_args(argv)

    if args.sample:
        root = args.out or REPO_RAW
        seed = SAMPLE_SEED if args.seed is None else args.seed
        summary = write_sample(root, seed=seed)
        print(f"sample written to {root}: {len(summary['files'])} files, {summary['lines']} data lines")
        return 0
    if args.out is None:
        parser.error("--out is required (or use --sample)")
    seed = 1 if args.seed is None else args.seed
    argv_text = (
        f"--seed {seed} --series {args.series} --seasons {args.seasons} "
        f"--events-per-season {args.events_per_season} --cars {args.cars}"
        + (f" --first-year {args.first_year}" if args.first_year is not None else "")
    )
    stats = write_tree(
        args.out,
        seed=seed,
        n_series=args.series,
        n_seasons=args.seasons,
        events_per_season=args.events_per_season,
        n_cars=args.cars,
        first_year=args.first_year,
        jobs=args.jobs,
        argv=argv_text,
    )
    print(
        f"{stats['lines']:,} data lines ({stats['time_card_laps']:,} time-card laps) in "
        f"{stats['seconds']:.1f} s ({stats['lines_per_s']:,.0f} lines/s) under {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
