"""Parsing OpenAlex JSON with DuckDB's ``read_json`` (the fast path of the ingest).

Only the columns the ingest needs are parsed, given explicitly (``columns=``)
from the engine-agnostic schemas of :mod:`kakehashi.ingest.rawschema`: no
schema inference, and every other key is skipped. The parse lands once in
DuckDB tables, one per file, files parsed side by side (a view per entity
unites them) — in a workspace connection whose ``temp_directory`` lets it
spill to disk — and the ingest derives every store table from there with
Ibis expressions.

Each row gets the bookkeeping the store's merge needs: ``_source_path``,
``_source_line`` (1-based record number in the file; the line number for a
JSON Lines file without blank lines, the place in ``results`` for an API page)
and ``_version`` (the file's base plus the record number, so later files and
later records rank higher).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import ibis
from ibis.backends.sql.datatypes import DuckDBType

if TYPE_CHECKING:
    from kakehashi.settings import Settings

__all__ = [
    "RawFile",
    "ReadFailed",
    "drop_temp_tables",
    "load_raw",
    "threads",
    "workspace",
]

# Big enough for a work with thousands of authors; DuckDB's default is 16 MB.
_MAX_OBJECT = 256 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class RawFile:
    """One file to parse: where to read it and what to record for its rows."""

    path: str
    source_path: str
    version_base: int
    page: bool = False


class ReadFailed(Exception):
    """DuckDB could not parse one of ``files``; the caller diagnoses which and where."""

    def __init__(self, files: Sequence[RawFile], detail: str):
        super().__init__(detail)
        self.files = list(files)
        self.detail = detail


def workspace(settings: Settings | None, temp_dir: Path) -> ibis.BaseBackend:
    """An in-memory DuckDB (through Ibis) that spills to ``temp_dir``."""
    Path(temp_dir).mkdir(parents=True, exist_ok=True)
    # Insertion order is kept only while parsing (load_raw), where record numbers need
    # it; every later step orders explicitly, and without it DuckDB runs more in parallel.
    kw: dict[str, Any] = {"temp_directory": str(temp_dir), "preserve_insertion_order": False}
    if settings is not None:
        if settings.duckdb_memory_limit:
            kw["memory_limit"] = settings.duckdb_memory_limit
        if settings.duckdb_threads:
            kw["threads"] = int(settings.duckdb_threads)
    return ibis.duckdb.connect(**kw)


def _columns_sql(schema: ibis.Schema) -> str:
    items = ", ".join(f"'{name}': '{DuckDBType.to_string(typ)}'" for name, typ in schema.items())
    return "{" + items + "}"


def _select_sql(i: int, f: RawFile, schema: ibis.Schema, ignore_errors: bool) -> str:
    # Paths and numbers travel as parameters; only our own column spec is spliced in.
    head = f"$b{i}::BIGINT + n AS _version, $s{i}::VARCHAR AS _source_path, n::BIGINT AS _source_line"
    # hive_partitioning off: a snapshot path's `updated_date=2024-05-01/` folder would
    # otherwise replace every record's own updated_date (to the day) with the folder's.
    opts = f"records=true, maximum_object_size={_MAX_OBJECT}, hive_partitioning=false"
    if f.page:
        cols = "{'results': '" + DuckDBType.to_string(ibis.dtype(f"array<{_struct(schema)}>")) + "'}"
        return (
            f"SELECT {head}, UNNEST(r) FROM (SELECT generate_subscripts(results, 1) AS n, "
            f"unnest(results) AS r FROM read_json($f{i}, columns={cols}, format='unstructured', {opts}))"
        )
    return (
        f"SELECT {head}, * EXCLUDE (n) FROM (SELECT row_number() OVER () AS n, * FROM "
        f"read_json($f{i}, columns={_columns_sql(schema)}, format='newline_delimited', {opts}, "
        f"ignore_errors={'true' if ignore_errors else 'false'}))"
    )


def _struct(schema: ibis.Schema) -> str:
    return "struct<" + ", ".join(f"{n}: {t}" for n, t in schema.items()) + ">"


def load_raw(
    con: ibis.BaseBackend,
    table: str,
    files: Sequence[RawFile],
    schema: ibis.Schema,
    *,
    ignore_errors: bool = False,
) -> int:
    """Parse ``files`` into the temporary view ``table`` (created if new); return the rows added.

    Each file is parsed by a statement of its own into a table of its own
    (``table__0``, ``table__1``, …; the view is their union), and as many such
    statements run at once as DuckDB has threads: a gzipped file is read by
    one thread, and a statement reading several files in order (which the
    record numbers need) would read them one after the other.

    Raises :class:`ReadFailed` when DuckDB cannot read one of them (bad JSON,
    a truncated gzip, a record of the wrong shape); nothing is added then.
    """
    if not files:
        return 0
    raw: duckdb.DuckDBPyConnection = con.con
    parts = _parts(raw, table)
    names = [f"{table}__{len(parts) + i}" for i in range(len(files))]

    def parse(i: int) -> None:
        f = files[i]
        params = {f"f{i}": f.path, f"s{i}": f.source_path, f"b{i}": f.version_base}
        sql = f'CREATE TABLE "{names[i]}" AS {_select_sql(i, f, schema, ignore_errors)}'
        cur = raw.cursor()  # a connection of its own: DuckDB runs one statement per connection
        try:
            cur.execute(sql, params).fetchall()
        finally:
            cur.close()

    workers = min(len(files), threads(con))
    # row_number() OVER () numbers the records in the order the file gives them only so.
    was = bool(_scalar(raw, "SELECT current_setting('preserve_insertion_order')"))
    raw.execute("SET preserve_insertion_order = true").fetchall()
    try:
        if workers > 1:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(parse, range(len(files))))
        else:
            for i in range(len(files)):
                parse(i)
    except duckdb.Error as exc:
        for name in names:
            raw.execute(f'DROP TABLE IF EXISTS "{name}"').fetchall()
        raise ReadFailed(files, str(exc)) from exc
    finally:
        raw.execute(f"SET preserve_insertion_order = {str(was).lower()}").fetchall()
    union = " UNION ALL ".join(f'SELECT * FROM "{n}"' for n in parts + names)
    raw.execute(f'CREATE OR REPLACE TEMP VIEW "{table}" AS {union}').fetchall()
    return sum(int(_scalar(raw, f'SELECT count(*) FROM "{n}"')) for n in names)


def threads(con: ibis.BaseBackend) -> int:
    """How many threads DuckDB runs (``threads``: one per core unless set)."""
    return int(_scalar(con.con, "SELECT current_setting('threads')"))


def _parts(raw: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The tables already parsed for ``table``, in the order they were made."""
    rows = raw.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND starts_with(table_name, $p)",
        {"p": f"{table}__"},
    ).fetchall()
    return sorted((r[0] for r in rows), key=lambda n: int(n.rsplit("__", 1)[1]))


def drop_temp_tables(con: ibis.BaseBackend, keep: set[str]) -> None:
    """Drop the views and tables of the workspace ``con`` (raw parses, intermediates) but ``keep``.

    Keeping a raw view (``raw_works``) keeps the tables it unites (``raw_works__0``, …).
    """
    raw: duckdb.DuckDBPyConnection = con.con
    for (name,) in raw.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal"
    ).fetchall():
        if name not in keep:
            raw.execute(f'DROP VIEW temp."{name}"').fetchall()
    tables = raw.execute("SELECT table_name, temporary FROM duckdb_tables() WHERE NOT internal").fetchall()
    for name, temporary in tables:
        if name not in keep and name.rsplit("__", 1)[0] not in keep:
            raw.execute(f'DROP TABLE {"temp" if temporary else "main"}."{name}"').fetchall()


def _scalar(raw: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> Any:
    # fetchall, not fetchone: DuckDB wants a result finished before the next statement.
    return raw.execute(sql, params or {}).fetchall()[0][0]
