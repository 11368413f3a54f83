"""Paths and helpers shared by the tests."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "raw"
IMSA_2024 = RAW / "24_2024"
ROAD_AMERICA_IMSA = IMSA_2024 / "14_Road America" / "01_IMSA WeatherTech SportsCar Championship"
IMSA_SERIES_FOLDER = "01_IMSA WeatherTech SportsCar Championship"


def copy_real_imsa(dest: Path) -> Path:
    """Copy the real IMSA WeatherTech 2024 files (and only those) into dest, keeping the site layout."""
    for src in sorted(IMSA_2024.rglob("*")):
        if src.is_file() and IMSA_SERIES_FOLDER in src.parts:
            target = dest / src.relative_to(RAW)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest
