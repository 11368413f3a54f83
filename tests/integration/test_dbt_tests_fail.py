"""The singular dbt tests that recompute a number from the files can fail (issue 26).

Each replaced a test that restated its model and could not fail (tests/singular/*: class positions
1..n, one leader per lap and per round, points = scoring, standings = the model's own sums). Here a
copy of a built warehouse gets, for each test, a wrong value of the kind those old tests let
through (two cars' class positions swapped: still 1..n; two cars' lap positions swapped: still one
leader; a race's points and points counted lowered together; a driver's standings points raised;
the top two of a round swapped: still one leader), and `dbt test` on the copy must fail each test
on exactly the planted rows, and pass them all on the untouched warehouse.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from helpers import REPO

pytestmark = pytest.mark.integration

DBT = Path(sys.executable).with_name("dbt")
PROJECT = REPO / "dbt_project"

# test -> (what the old test let through, SQL planting it; each statement must change >= 1 row)
PLANTED = {
    "assert_class_positions_from_the_overall_order": [
        # the first two of a class in a race, swapped: positions still run 1..n without gaps
        """update marts.fct_session_results r set class_position = 3 - r.class_position
           from (select session_id, class_id from marts.fct_session_results
                 where session_type = 'race' and class_position = 2 order by session_id, class_id limit 1) k
           where r.session_id = k.session_id and r.class_id = k.class_id and r.class_position in (1, 2)""",
    ],
    "assert_lap_positions_from_elapsed_times": [
        # the first two of a class at one lap, swapped with their leader flags: still one leader
        """update marts.fct_laps l set class_position = 3 - l.class_position, is_class_leader = l.class_position = 2
           from (select session_id, class_id, lap_number from marts.fct_laps where class_position = 2
                 order by session_id, class_id, lap_number limit 1) k
           where l.session_id = k.session_id and l.class_id = k.class_id and l.lap_number = k.lap_number
             and l.class_position in (1, 2)""",
    ],
    "assert_race_points_recomputed_from_the_files": [
        # a winner's points and points counted lowered together: points_counted still = points
        """update marts.fct_session_results r set points = points - 10, points_counted = points_counted - 10
           from (select session_id, car_number from marts.fct_session_results
                 where session_type = 'race' and class_position = 1 and not points_dropped
                 order by session_id, car_number limit 1) k
           where r.session_id = k.session_id and r.car_number = k.car_number""",
    ],
    "assert_standings_points_recomputed_from_the_files": [
        # a round leader's points raised (as a scoring mistake upstream would); still the leader, and
        # in another round than the swap below
        """update marts.season_team_standings s set points = points + 5, points_counted = points_counted + 5
           from (select car_id, series_id, season, class_id, round_number from marts.season_team_standings
                 where position = 1 order by series_id desc, season desc, class_id desc, round_number desc limit 1) k
           where s.car_id = k.car_id and s.series_id = k.series_id and s.season = k.season
             and s.class_id = k.class_id and s.round_number = k.round_number""",
    ],
    "assert_standings_positions_from_points_and_countback": [
        # the leader and the runner-up (fewer points) of a round swapped: still one leader
        """update marts.season_team_standings s set position = 3 - s.position
           from (select series_id, season, class_id, round_number from marts.season_team_standings
                 group by all having count(*) filter (where position = 1) = 1 and count(*) filter (where position = 2) = 1
                    and max(points_counted) filter (where position = 1) > max(points_counted) filter (where position = 2)
                 order by all limit 1) k
           where s.series_id = k.series_id and s.season = k.season and s.class_id = k.class_id
             and s.round_number = k.round_number and s.position in (1, 2)""",
    ],
}


def dbt_test(warehouse: Path, target: Path, tests) -> dict[str, tuple[str, int]]:
    """`dbt test` of `tests` on `warehouse` (every row: not an incremental build): name -> (status, failures)."""
    env = {**os.environ, "PITWALL_WAREHOUSE": str(warehouse)}
    done = subprocess.run(
        [
            str(DBT),
            "test",
            "--project-dir",
            str(PROJECT),
            "--profiles-dir",
            str(PROJECT),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
            "--select",
            *tests,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    out = {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results}
    assert set(out) == set(tests), done.stdout[-3000:]
    return out


def test_each_recomputing_test_fails_on_a_wrong_value(refreshed, tmp_path):
    clean = dbt_test(refreshed.warehouse, tmp_path / "clean", PLANTED)
    assert {name: status for name, (status, _) in clean.items()} == dict.fromkeys(PLANTED, "pass")

    copy = tmp_path / "planted.duckdb"
    shutil.copy2(refreshed.warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        for name, statements in PLANTED.items():
            for sql in statements:
                assert con.execute(sql).fetchall()[0][0] >= 1, name
    finally:
        con.close()
    planted = dbt_test(copy, tmp_path / "planted", PLANTED)
    for name, (status, failures) in planted.items():
        assert status == "fail" and failures >= 1, (name, status, failures)
    # the planted rows and no others: two cars, two laps, one result, one driver-round, two drivers
    assert {name: failures for name, (_, failures) in planted.items()} == {
        "assert_class_positions_from_the_overall_order": 2,
        "assert_lap_positions_from_elapsed_times": 2,
        "assert_race_points_recomputed_from_the_files": 1,
        "assert_standings_points_recomputed_from_the_files": 1,
        "assert_standings_positions_from_points_and_countback": 2,
    }
