"""SQL text shared by ingestion, publication and the targets: quoted identifiers and literals, a
qualified relation, a DuckDB table's columns. One implementation of each; no Dagster."""

from __future__ import annotations

import duckdb


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def relation(*parts: str) -> str:
    """`"catalog"."schema"."table"` (or fewer parts), each part quoted."""
    return ".".join(quote_ident(part) for part in parts)


def table_columns(con: duckdb.DuckDBPyConnection, *parts: str) -> list[tuple[str, str]]:
    """(name, type) of each column of the DuckDB table `parts` (schema, table; or catalog, schema,
    table), in order; [] when there is no such table. (pragma_table_info reads one table's entry,
    where duckdb_columns() and information_schema list every column of every attached database.)"""
    try:
        rows = con.execute("SELECT name, type FROM pragma_table_info(?)", [relation(*parts)]).fetchall()
    except duckdb.CatalogException:
        return []
    return [(name, type_) for name, type_ in rows]
