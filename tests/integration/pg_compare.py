"""The same dbt project built on DuckDB and on PostgreSQL: every table of one schema compared row by row.

``compare_marts(duckdb_path, pg_url)`` compares DuckDB's ``marts`` with PostgreSQL's ``build_marts`` (where
dbt builds there) and returns the differences as sentences, none when the two hold the same tables, the
same columns in the same order and the same multiset of rows. Values are compared after normalising
what the two engines type differently: numbers by value (an integral value as an integer, whatever its
type: DuckDB's HUGEINT sums are PostgreSQL's numeric; other numbers rounded to 9 significant digits),
booleans as booleans, text, dates and timestamps exactly. Rows are read whole into memory: meant for
test-sized warehouses.

    python tests/integration/pg_compare.py <warehouse.duckdb> <postgresql://...> [duckdb_schema pg_schema]
"""

from __future__ import annotations

import decimal
import math
import sys
from collections import Counter

import duckdb
import psycopg2

SIGNIFICANT_DIGITS = 9
EXAMPLES = 5


def _normalise(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return value
    if isinstance(value, decimal.Decimal):
        if value == value.to_integral_value():
            return int(value)
        value = float(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return repr(value)
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(value, list | tuple):
        return tuple(_normalise(v) for v in value)
    return value  # date, datetime, time: compared exactly


def _duckdb_tables(con, schema: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by table_name", [schema]
    ).fetchall()
    return [name for (name,) in rows]


def _pg_tables(cur, schema: str) -> list[str]:
    cur.execute(
        "select table_name from information_schema.tables where table_schema = %s order by table_name", [schema]
    )
    return [name for (name,) in cur.fetchall()]


def _duckdb_columns(con, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?"
        " order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [name for (name,) in rows]


def _pg_columns(cur, schema: str, table: str) -> list[str]:
    cur.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
        " order by ordinal_position",
        [schema, table],
    )
    return [name for (name,) in cur.fetchall()]


def _quoted(*names: str) -> str:
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)


def compare_tables(duck_con, pg_cur, duck_schema: str, pg_schema: str, table: str) -> tuple[int, list[str]]:
    """(rows on the DuckDB side, differences) of one table present on both sides."""
    where = f"{table}: "
    duck_columns = _duckdb_columns(duck_con, duck_schema, table)
    pg_columns = _pg_columns(pg_cur, pg_schema, table)
    if duck_columns != pg_columns:
        return 0, [f"{where}columns differ: duckdb {duck_columns}, postgres {pg_columns}"]
    select = ", ".join(_quoted(c) for c in duck_columns)
    duck_rows = Counter(
        tuple(_normalise(v) for v in row)
        for row in duck_con.execute(f"select {select} from {_quoted(duck_schema, table)}").fetchall()
    )
    pg_cur.execute(f"select {select} from {_quoted(pg_schema, table)}")
    pg_rows = Counter(tuple(_normalise(v) for v in row) for row in pg_cur.fetchall())
    n = sum(duck_rows.values())
    if duck_rows == pg_rows:
        return n, []
    only_duck = duck_rows - pg_rows
    only_pg = pg_rows - duck_rows
    differences = [
        f"{where}{n} rows in duckdb, {sum(pg_rows.values())} in postgres; "
        f"{sum(only_duck.values())} only in duckdb, {sum(only_pg.values())} only in postgres"
    ]
    for side, rows in (("duckdb", only_duck), ("postgres", only_pg)):
        for row in sorted(rows, key=repr)[:EXAMPLES]:
            differences.append(f"{where}only in {side}: {dict(zip(duck_columns, row, strict=True))}")
    return n, differences


def compare_schema(
    duckdb_path: str,
    pg_url: str,
    duck_schema: str = "marts",
    pg_schema: str = "build_marts",
    counts: dict | None = None,
) -> list[str]:
    """Differences between every table of `duck_schema` (DuckDB) and `pg_schema` (PostgreSQL); `counts`,
    when given, receives each compared table's row count."""
    duck_con = duckdb.connect(duckdb_path, read_only=True)
    pg = psycopg2.connect(pg_url)
    try:
        with pg.cursor() as cur:
            duck_tables = _duckdb_tables(duck_con, duck_schema)
            pg_tables = _pg_tables(cur, pg_schema)
            differences = [f"{t}: only in duckdb {duck_schema}" for t in duck_tables if t not in pg_tables]
            differences += [f"{t}: only in postgres {pg_schema}" for t in pg_tables if t not in duck_tables]
            for table in duck_tables:
                if table in pg_tables:
                    n, found = compare_tables(duck_con, cur, duck_schema, pg_schema, table)
                    differences += found
                    if counts is not None:
                        counts[table] = n
            return differences
    finally:
        pg.close()
        duck_con.close()


def compare_marts(duckdb_path: str, pg_url: str, pg_schema: str = "build_marts") -> list[str]:
    """Differences between DuckDB's marts and PostgreSQL's `pg_schema`: none when they hold the same rows."""
    return compare_schema(duckdb_path, pg_url, "marts", pg_schema)


if __name__ == "__main__":
    duck_schema, pg_schema = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else ("marts", "build_marts")
    counts: dict[str, int] = {}
    found = compare_schema(sys.argv[1], sys.argv[2], duck_schema, pg_schema, counts)
    for line in found:
        print(line)
    print(f"{len(counts)} tables compared, {sum(counts.values())} rows, {len(found)} differences")
    sys.exit(1 if found else 0)
