"""Apache Superset's own `superset test-db` against the published copy (optional: `make bi`).

Superset cannot share .venv (it pins pandas < 2.2; pitwall needs >= 2.2), so it lives in
.venv-bi/, built from tests/bi/requirements.lock the first time this test runs (or by `make bi`),
with an older DuckDB (1.1.3) on purpose: the test also proves that a BI install bundling an
older DuckDB opens the published copy (storage v1.0.0).

Then, in that environment: `superset test-db` (engine spec found, connection, SELECT 1), and the
same SQLAlchemy URL through Superset's DuckDB engine spec: the marts listed, a dashboard query
answered, a write refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from helpers import REPO, copy_real_imsa
from integration.conftest import refresh

from orchestration.warehouse import settings

pytestmark = [pytest.mark.bi, pytest.mark.timeout(3600)]

VENV = REPO / ".venv-bi"
LOCK = Path(__file__).with_name("requirements.lock")
STAMP = VENV / ".pitwall-bi.stamp"
UV = Path(sys.executable).with_name("uv")


def ensure_bi_venv() -> Path:
    """.venv-bi/ with the locked Superset environment (rebuilt when the lock changes)."""
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    python = VENV / "bin" / "python"
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == digest:
        return python
    uv = str(UV) if UV.exists() else shutil.which("uv")
    assert uv, "uv is needed to build .venv-bi (make install puts it in .venv/bin)"
    if not python.exists():
        subprocess.run([uv, "venv", "--python", sys.executable, str(VENV)], check=True, capture_output=True)
    done = subprocess.run(
        [uv, "pip", "install", "--python", str(python), "-r", str(LOCK)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-4000:]
    STAMP.write_text(digest)
    return python


@pytest.fixture(scope="module")
def bi_python() -> Path:
    return ensure_bi_venv()


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bi")
    raw = copy_real_imsa(root / "raw")
    home = root / "dagster_home"
    home.mkdir()
    warehouse = root / "warehouse" / "pitwall.duckdb"
    refresh(raw, warehouse, home)
    return settings.published_warehouse_path(warehouse)


def bi_env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "superset_config.py"
    config.write_text(
        textwrap.dedent(f"""\
        SECRET_KEY = "pitwall-bi-test-only"
        SQLALCHEMY_DATABASE_URI = "sqlite:///{tmp_path / 'superset.db'}"
    """)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env.update({"SUPERSET_CONFIG_PATH": str(config), "SUPERSET_HOME": str(tmp_path), "COLUMNS": "200", "TERM": "dumb"})
    return env


def uri(path: Path) -> str:
    return f"duckdb:///{path}?access_mode=read_only&enable_external_access=false"


def test_superset_test_db_on_the_published_copy(bi_python: Path, published: Path, tmp_path: Path) -> None:
    superset = bi_python.with_name("superset")
    version = subprocess.run(
        [str(bi_python), "-c", "import duckdb; print(duckdb.__version__)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert version.startswith("1.1."), version  # an older DuckDB than the build file's 2.0
    done = subprocess.run(
        [str(superset), "test-db", uri(published), "--connect-args", json.dumps({"connect_args": {"read_only": True}})],
        capture_output=True,
        text=True,
        env=bi_env(tmp_path),
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "Found DB engine spec: DuckDB" in output, output[-6000:]
    assert "Connected successfully!" in output, output[-6000:]
    assert "> 1" in output  # SELECT 1 answered


SCRIPT = """
import json, sys
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from superset.db_engine_specs.duckdb import DuckDBEngineSpec

url = sys.argv[1]
assert DuckDBEngineSpec.supports_url(sa.engine.make_url(url))
engine = sa.create_engine(url, poolclass=NullPool, connect_args={"read_only": True})  # as Superset does
inspector = sa.inspect(engine)
out = {"marts": sorted(inspector.get_table_names(schema="marts"))}
with engine.connect() as conn:
    out["leaders"] = [list(r) for r in conn.execute(sa.text(
        "SELECT c.class_name, max(st.points_counted) FROM marts.season_driver_standings st "
        "JOIN marts.dim_classes c USING (class_id) GROUP BY 1 ORDER BY 1"))]
try:
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE TABLE marts.x AS SELECT 1 AS a"))
    out["write"] = "accepted"
except Exception as exc:
    out["write"] = str(exc).splitlines()[0]
print(json.dumps(out, default=str))
"""


def test_superset_sees_the_marts_and_cannot_write(bi_python: Path, published: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(bi_python), "-c", SCRIPT, uri(published)],
        capture_output=True,
        text=True,
        env=bi_env(tmp_path),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    con = duckdb.connect(str(published), read_only=True)
    try:
        marts = [
            t
            for (t,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY 1"
            ).fetchall()
        ]
        leaders = con.execute(
            "SELECT c.class_name, max(st.points_counted) FROM marts.season_driver_standings st "
            "JOIN marts.dim_classes c USING (class_id) GROUP BY 1 ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert out["marts"] == marts
    assert [(c, int(p)) for c, p in out["leaders"]] == [(c, int(p)) for c, p in leaders]
    assert "read-only" in out["write"], out["write"]
