"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import copy_real_imsa


@pytest.fixture
def real_raw(tmp_path: Path) -> Path:
    return copy_real_imsa(tmp_path / "raw")


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "pitwall.duckdb"


# Suites of issues 5-8 written by helpers in the last session and not yet verified by a full
# `make test` (the machine was overloaded and one of them did not finish). They stay in the repo
# and run with `pytest -m wip`; they join the default run once verified (see the session note).
WORK_IN_PROGRESS = (
    "tests/ui/",
    "tests/reliability/",
    "tests/integration/test_concurrent_readers.py",
    "tests/integration/test_published.py",
    "tests/integration/test_control_room.py",
    "tests/unit/test_publish.py",
    "tests/unit/test_cli_published.py",
    "tests/unit/test_reload.py",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path.startswith(WORK_IN_PROGRESS):
            item.add_marker(pytest.mark.wip)
