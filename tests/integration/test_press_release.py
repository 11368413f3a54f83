"""Every fact of the Road America 2024 press release (../shared/seed), asked of the marts only.

The Carrera Cup files in raw/ are the synthetic sample season (raw/README.md); this test proves the
warehouse, built end to end from them by the refresh job, answers each sentence of the release.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

RACE_RESULT = """
    select r.*, s.session_name, s.start_at, e.event_name, e.season, c.class_name, t.team_name, d.full_name, b.driver_id
    from marts.fct_session_results r
    join marts.dim_sessions s on s.session_id = r.session_id
    join marts.dim_events e on e.event_id = r.event_id
    join marts.dim_classes c on c.class_id = r.class_id
    join marts.dim_teams t on t.team_id = r.team_id
    join marts.bridge_session_result_drivers b on b.session_id = r.session_id and b.car_number = r.car_number
    join marts.dim_drivers d on d.driver_id = b.driver_id
    where r.series_id = 'pccna' and s.session_type = 'race'
"""


def one(query, sql, params=None):
    rows = query(sql, params)
    assert len(rows) == 1, rows
    return rows[0]


def result_of(query, name, event, session):
    return one(
        query,
        f"select class_position, finish_position, grid_position, class_grid_position, positions_gained, car_number, "
        f"team_name, vehicle, class_name, cast(start_at as date) from ({RACE_RESULT}) "
        f"where full_name = ? and event_name = ? and session_name = ?",
        [name, event, session],
    )


def test_sunday_road_america_win(query):
    pos, _, _, _, _, car, team, vehicle, cls, day = result_of(query, "James Sofronas", "Road America", "Race 2")
    assert (pos, car, team, vehicle, cls, str(day)) == (
        1,
        "14",
        "GMG Racing",
        "Porsche 911 GT3 Cup",
        "Pro-Am",
        "2024-08-04",
    )


def test_led_pro_am_from_lap_one_to_the_flag(query):
    laps, led, first_led, class_laps = one(
        query,
        f"""select count(*), count(*) filter (where l.is_class_leader), bool_and(l.is_class_leader) filter (where l.lap_number = 1),
                   (select max(lap_number) from marts.fct_laps x where x.session_id = l.session_id and x.class_id = l.class_id)
            from marts.fct_laps l
            join ({RACE_RESULT}) r on r.session_id = l.session_id and r.car_number = l.car_number
            where r.full_name = 'James Sofronas' and r.event_name = 'Road America' and r.session_name = 'Race 2'
            group by l.session_id, l.class_id""",
    )
    assert laps == led == class_laps and first_led


def test_torres_on_pro_am_pole_sunday(query):
    _, _, _, class_grid, *_ = result_of(query, "Pedro Torres", "Road America", "Race 2")
    assert class_grid == 1


def test_third_win_of_2024_at_sebring_montreal_and_road_america(query):
    wins = query(
        f"select event_name, session_name from ({RACE_RESULT}) where full_name = 'James Sofronas' and season = 2024 "
        f"and class_position = 1 order by start_at"
    )
    assert [w[0] for w in wins] == ["Sebring International Raceway", "Canadian Grand Prix", "Road America"]
    assert wins[-1][1] == "Race 2"


def test_fifth_series_win_in_ten_career_starts(query):
    wins, starts, debut_event = one(
        query,
        """select cs.wins, cs.starts, e.event_name
           from marts.driver_career_stats cs
           join marts.dim_drivers d on d.driver_id = cs.driver_id
           join marts.dim_sessions s on s.session_id = cs.debut_session_id
           join marts.dim_events e on e.event_id = s.event_id
           where d.full_name = 'James Sofronas' and cs.series_id = 'pccna' and cs.grain = 'series'""",
    )
    assert (wins, starts) == (5, 10)
    assert debut_event == "PCCNA COTA"


def test_swept_both_pro_am_races_at_cota_2023(query):
    rows = query(
        f"select session_name, class_position, class_name from ({RACE_RESULT}) "
        f"where full_name = 'James Sofronas' and season = 2023 order by start_at"
    )
    assert rows == [("Race 1", 1, "Pro-Am"), ("Race 2", 1, "Pro-Am")]


def test_three_wins_lead_pro_am_without_racing_at_watkins_glen(query):
    standings = query(
        """select d.full_name, st.wins
           from marts.season_driver_standings st
           join marts.dim_drivers d on d.driver_id = st.driver_id
           join marts.dim_classes c on c.class_id = st.class_id
           where st.series_id = 'pccna' and st.season = 2024 and c.class_name = 'Pro-Am'
             and st.round_number = (select max(round_number) from marts.season_driver_standings
                                    where series_id = 'pccna' and season = 2024)
           order by st.wins desc"""
    )
    assert standings[0] == ("James Sofronas", 3)
    assert standings[1][1] < 3
    at_watkins_glen = query(
        f"select count(*) from ({RACE_RESULT}) where full_name = 'James Sofronas' and event_name = 'Watkins Glen International'"
    )
    assert at_watkins_glen == [(0,)]
    assert (
        query(
            f"select count(*) from ({RACE_RESULT}) where event_name = 'Watkins Glen International' and season = 2024"
        )[0][0]
        > 0
    )


def test_saturday_sofronas_second_and_washington_fifth_in_masters(query):
    assert result_of(query, "James Sofronas", "Road America", "Race 1")[0] == 2
    r1 = result_of(query, "Kyle Washington", "Road America", "Race 1")
    r2 = result_of(query, "Kyle Washington", "Road America", "Race 2")
    assert (r1[0], r1[5], r1[6], r1[8]) == (5, "32", "GMG Racing", "Masters")
    assert r2[0] is None or r2[0] > r1[0], "Saturday was his better result of the weekend"


def test_baltas_from_the_back_to_the_pro_top_ten_gaining_22(query):
    class_pos, finish, grid, _, gained, car, team, _, cls, _ = result_of(query, "Yves Baltas", "Road America", "Race 1")
    last_on_grid, most_gained, others_with_most = one(
        query,
        f"""select max(grid_position), max(positions_gained), count(*) filter (where positions_gained >= 22)
            from ({RACE_RESULT}) where event_name = 'Road America' and session_name = 'Race 1'""",
    )
    assert (car, team, cls) == ("15", "GMG Racing", "Pro")
    assert grid == last_on_grid
    assert class_pos <= 10
    assert gained == 22 == most_gained and others_with_most == 1


def test_race_notes_state_the_release(query):
    notes = query(
        """select s.session_name, n.kind, n.value_1, n.value_2, n.sentence
           from marts.race_notes n
           join marts.dim_sessions s on s.session_id = n.session_id
           join marts.dim_events e on e.event_id = n.event_id
           join marts.dim_drivers d on d.driver_id = n.driver_id
           where n.series_id = 'pccna' and e.event_name = 'Road America' and d.full_name in ('James Sofronas', 'Yves Baltas')"""
    )
    by_kind = {(session, kind): (v1, v2, sentence) for session, kind, v1, v2, sentence in notes}
    assert by_kind[("Race 2", "season_win")][0] == 3
    assert by_kind[("Race 2", "series_win")][:2] == (5, 10)
    assert "5th Porsche Carrera Cup North America win in 10 career starts" in by_kind[("Race 2", "series_win")][2]
    assert ("Race 2", "led_every_lap") in by_kind
    assert ("Race 2", "class_lead_lap_1") in by_kind
    assert by_kind[("Race 1", "most_positions_gained")][0] == 22
    assert ("Race 1", "debut") in by_kind  # Baltas, "debuting team driver"
    cota = query(
        """select n.kind from marts.race_notes n
           join marts.dim_drivers d on d.driver_id = n.driver_id
           join marts.dim_events e on e.event_id = n.event_id
           where d.full_name = 'James Sofronas' and e.event_name = 'PCCNA COTA'"""
    )
    kinds = {k for (k,) in cota}
    assert {"debut", "first_career_win", "weekend_sweep"} <= kinds
