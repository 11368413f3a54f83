"""Synthetic Al Kamel timing data (plain Python, no Dagster).

- `write_tree(root, seed, n_series, n_seasons, events_per_season, n_cars)`: a whole invented
  results site for benchmarks (about half a million time-card laps per season with the
  defaults).
- `write_sample(root)`: THE sample season of Porsche Carrera Cup North America (COTA 2023,
  Sebring, Miami, Montreal, Watkins Glen, Road America 2024) that agrees with the Road America
  press release of 2024-08-05.

Same arguments, same bytes: every random draw comes from a `random.Random` seeded by the
arguments and the place in the tree. CLI: `python -m bench.synthetic --help`.
"""

from .sample import SAMPLE_SEED, sample_people, write_sample
from .tree import TREE_VERSION, write_tree

__all__ = ["SAMPLE_SEED", "TREE_VERSION", "sample_people", "write_sample", "write_tree"]
