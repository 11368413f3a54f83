"""Charts for people who would rather look than read, drawn from the published copy as PNG files.

- Standings progression: championship points (after drops) after each round the class raced in the
  latest season of every series, one chart per class, for the top ten of the latest round: one line
  per car entry, its co-drivers named together when their points went alike all season.
- Lap chart: the overall running order at the end of every lap of the latest race of every
  series, one line per car, coloured by class, car numbers at the start and at the finish.

Drawn with matplotlib's Agg canvas (no display, no pyplot state), written to
``<published dir>/charts/`` under a temporary name and renamed into place; charts that are no
longer produced are removed. Nothing here knows about Dagster.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from . import files

CHARTS_DIR_NAME = "charts"
TOP_DRIVERS = 10
DPI = 110
PREVIEW_SCALE = 50 / DPI  # the small copy embedded in Dagster metadata (about 50 dpi)
CLASS_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


@dataclass(frozen=True)
class Chart:
    kind: str  # "standings" | "lap_chart"
    title: str
    path: Path
    bytes: int
    series_id: str
    season: int

    def preview_png(self) -> bytes:
        """A smaller copy of the chart's file, scaled down on request: only the charts shown as
        previews pay for it, not every chart."""
        with Image.open(self.path) as image:
            width, height = image.size
            small = image.convert("RGB").resize(
                (max(1, round(width * PREVIEW_SCALE)), max(1, round(height * PREVIEW_SCALE))), Image.Resampling.LANCZOS
            )
        buffer = io.BytesIO()
        small.save(buffer, format="PNG")
        return buffer.getvalue()


def slug(*parts: object) -> str:
    text = "_".join(str(p) for p in parts if p not in (None, ""))
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def _save(fig: Figure, target: Path) -> int:
    FigureCanvasAgg(fig)
    staged = files.temporary_sibling(target)
    try:
        fig.savefig(staged, format="png", dpi=DPI)
        files.commit(staged, target)
    except Exception:
        files.discard(staged)
        raise
    return target.stat().st_size


# ------------------------------------------------------------------------------ standings progression


def standings_subjects(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(series_id, series name, season, class_id, class name) for the latest season of each series."""
    return _rows(
        con,
        """
        WITH latest AS (
            SELECT series_id, max(season) AS season FROM marts.season_driver_standings GROUP BY series_id
        )
        SELECT DISTINCT st.series_id, coalesce(se.short_name, se.series_name, st.series_id), st.season,
               st.class_id, coalesce(c.class_name, st.class_id)
        FROM marts.season_driver_standings st
        JOIN latest USING (series_id, season)
        LEFT JOIN marts.dim_series se ON se.series_id = st.series_id
        LEFT JOIN marts.dim_classes c ON c.class_id = st.class_id
        ORDER BY 1, 3, 5""",
    )


# The rounds a class raced in a series season (after_session_id: its race), and the leaders of the last.
ROUNDS_SQL = """
        SELECT DISTINCT st.round_number, coalesce(e.event_name, st.after_session_id), s.session_name
        FROM marts.season_driver_standings st
        LEFT JOIN marts.dim_sessions s ON s.session_id = st.after_session_id
        LEFT JOIN marts.dim_events e ON e.event_id = s.event_id
        WHERE st.series_id = ? AND st.season = ? AND st.class_id = ?
          AND EXISTS (SELECT 1 FROM marts.fct_session_results r
                      WHERE r.session_id = st.after_session_id AND r.class_id = st.class_id)
        ORDER BY 1"""
LEADERS_SQL = """
        SELECT st.driver_id, coalesce(d.full_name, st.driver_id), st.position, st.points_counted, st.latest_car_number
        FROM marts.season_driver_standings st LEFT JOIN marts.dim_drivers d ON d.driver_id = st.driver_id
        WHERE st.series_id = ? AND st.season = ? AND st.class_id = ? AND st.round_number = ?
        ORDER BY st.position, d.full_name LIMIT ?"""


def standings_figure(
    con: duckdb.DuckDBPyConnection, series_id: str, series_name: str, season: int, class_id: str, class_name: str
) -> Figure | None:
    rounds = _rows(con, ROUNDS_SQL, [series_id, season, class_id])
    if not rounds:
        return None
    last_round = rounds[-1][0]
    leaders = _rows(con, LEADERS_SQL, [series_id, season, class_id, last_round, TOP_DRIVERS])
    ids = [row[0] for row in leaders]
    if not ids:
        return None
    points = _rows(
        con,
        f"""
        SELECT driver_id, round_number, points_counted FROM marts.season_driver_standings
        WHERE series_id = ? AND season = ? AND class_id = ? AND driver_id IN ({', '.join('?' for _ in ids)})
        ORDER BY driver_id, round_number""",
        [series_id, season, class_id, *ids],
    )
    entries = _car_entry_lines(rounds, leaders, points)
    fig = Figure(figsize=(11, 6.5))
    ax = fig.add_subplot()
    for index, ((car_number, series), drivers) in enumerate(entries.items()):
        xs, ys = zip(*series)
        names = " / ".join(name for name, _, _ in drivers)
        position, total = drivers[0][1], drivers[0][2]
        car = f" #{car_number}" if car_number else ""
        ax.plot(
            xs,
            ys,
            marker="o",
            linewidth=2 if index < 3 else 1.2,
            markersize=4,
            label=f"{position}. {names}{car} ({float(total or 0):g})",
        )
    ax.set_xticks([r[0] for r in rounds])
    width = max(8, int(110 / max(len(rounds), 1)))  # characters per line that fit under one round
    ax.set_xticklabels([f"R{r[0]}\n" + textwrap.fill(str(r[1]), width) for r in rounds], fontsize=7)
    ax.set_ylabel("points (after drops)")
    ax.set_title(f"{series_name} {season} — {class_name}: championship points after each round")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def _car_entry_lines(rounds: list[tuple], leaders: list[tuple], points: list[tuple]) -> dict[tuple, list[tuple]]:
    """One line per car entry, over the rounds the class raced: {(car number, ((round, points), ...)):
    [(driver name, position, total), ...]}. Co-drivers whose points went alike all season share it."""
    raced = {r[0] for r in rounds}
    by_driver: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for driver_id, round_number, value in points:
        if round_number in raced:
            by_driver[driver_id].append((round_number, float(value or 0)))
    entries: dict[tuple, list[tuple]] = {}
    for driver_id, name, position, total, car_number in leaders:
        if by_driver.get(driver_id):
            entries.setdefault((car_number, tuple(by_driver[driver_id])), []).append((name, position, total))
    return entries


# ----------------------------------------------------------------------------------------- lap chart


def lap_chart_subjects(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(session_id, series_id, series name, season, event name, session name): latest race per series."""
    return _rows(
        con,
        """
        SELECT s.session_id, s.series_id, coalesce(se.short_name, se.series_name, s.series_id), s.season,
               coalesce(e.event_name, ''), coalesce(s.session_name, 'Race')
        FROM marts.dim_sessions s
        LEFT JOIN marts.dim_events e ON e.event_id = s.event_id
        LEFT JOIN marts.dim_series se ON se.series_id = s.series_id
        WHERE s.session_type = 'race'
          AND EXISTS (
              SELECT 1 FROM marts.fct_laps l WHERE l.session_id = s.session_id AND l.overall_position IS NOT NULL
          )
        QUALIFY row_number() OVER (PARTITION BY s.series_id ORDER BY s.start_at DESC, s.session_id DESC) = 1
        ORDER BY 2""",
    )


def lap_chart_figure(con: duckdb.DuckDBPyConnection, session_id: str, title: str) -> Figure | None:
    laps = _rows(
        con,
        """
        SELECT l.car_number, l.lap_number, l.overall_position, coalesce(c.class_name, l.class_id, '')
        FROM marts.fct_laps l LEFT JOIN marts.dim_classes c ON c.class_id = l.class_id
        WHERE l.session_id = ? AND l.overall_position IS NOT NULL
        ORDER BY l.car_number, l.lap_number""",
        [session_id],
    )
    if not laps:
        return None
    cars: dict[str, list[tuple[int, int]]] = defaultdict(list)
    car_class: dict[str, str] = {}
    for car, lap, position, class_name in laps:
        cars[car].append((lap, position))
        car_class.setdefault(car, class_name)
    classes = sorted(set(car_class.values()))
    colour = {name: CLASS_COLOURS[i % len(CLASS_COLOURS)] for i, name in enumerate(classes)}
    field = max(position for _, _, position, _ in laps)

    fig = Figure(figsize=(13, max(6.0, 0.2 * field + 2)))
    ax = fig.add_subplot()
    for car, points in cars.items():
        xs, ys = zip(*points)
        ax.plot(xs, ys, color=colour[car_class[car]], linewidth=1, alpha=0.85)
        ax.annotate(
            f"#{car}",
            (xs[-1], ys[-1]),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=6,
            va="center",
            color=colour[car_class[car]],
        )
        ax.annotate(
            f"#{car}",
            (xs[0], ys[0]),
            xytext=(-3, 0),
            textcoords="offset points",
            fontsize=6,
            va="center",
            ha="right",
            color=colour[car_class[car]],
        )
    for name in classes:
        ax.plot([], [], color=colour[name], linewidth=2, label=name)
    ax.set_ylim(field + 1, 0)
    ax.set_xlabel("lap")
    ax.set_ylabel("overall position at the end of the lap")
    ax.set_title(title)
    ax.grid(True, alpha=0.2)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=len(classes), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------- all


def draw_charts(published: Path, folder: Path) -> list[Chart]:
    """Every chart, from the published DuckDB file (opened read-only), into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    files.remove_leftovers(folder)
    con = duckdb.connect(
        str(published),
        read_only=True,
        config={
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    charts: list[Chart] = []
    try:
        for series_id, series_name, season, class_id, class_name in standings_subjects(con):
            fig = standings_figure(con, series_id, series_name, season, class_id, class_name)
            if fig is None:
                continue
            target = folder / f"standings_{slug(series_id, season, class_name)}.png"
            charts.append(
                Chart(
                    "standings",
                    f"{series_name} {season} {class_name} standings",
                    target,
                    _save(fig, target),
                    series_id,
                    season,
                )
            )
        for session_id, series_id, series_name, season, event_name, session_name in lap_chart_subjects(con):
            title = f"{series_name} {season} {event_name} {session_name}: lap chart".replace("  ", " ")
            fig = lap_chart_figure(con, session_id, title)
            if fig is None:
                continue
            target = folder / f"lap_chart_{slug(series_id, season, event_name, session_name)}.png"
            charts.append(Chart("lap_chart", title, target, _save(fig, target), series_id, season))
    finally:
        con.close()
    produced = {c.path.name for c in charts}
    for stale in folder.glob("*.png"):
        if stale.name not in produced:
            stale.unlink(missing_ok=True)
    files.fsync_dir(folder)
    return charts
