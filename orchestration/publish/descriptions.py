"""Table and column descriptions for the published copy, from the dbt manifest (no dbt import)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from .snapshot import Descriptions


def from_dbt_manifest(
    manifest: Path, schemas: tuple[str, ...] = ("marts",)
) -> dict[tuple[str, str], tuple[str | None, dict[str, str]]]:
    """{(schema, relation name): (model description, {column: description})} for models in `schemas`."""
    path = Path(manifest)
    if not path.exists():
        return {}
    nodes = json.loads(path.read_text()).get("nodes", {})
    found: dict[tuple[str, str], tuple[str | None, dict[str, str]]] = {}
    for node in nodes.values():
        if node.get("resource_type") not in ("model", "seed") or node.get("schema") not in schemas:
            continue
        name = node.get("alias") or node["name"]
        columns = {c: (v.get("description") or "").strip() for c, v in (node.get("columns") or {}).items()}
        found[(node["schema"], name)] = (
            (node.get("description") or "").strip() or None,
            {c: d for c, d in columns.items() if d},
        )
    return found


def merged(*parts: Mapping[tuple[str, str], tuple[str | None, Mapping[str, str]]]) -> Descriptions:
    out: dict[tuple[str, str], tuple[str | None, Mapping[str, str]]] = {}
    for part in parts:
        out.update(part)
    return out
