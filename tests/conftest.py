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
