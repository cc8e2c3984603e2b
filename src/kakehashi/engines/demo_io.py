"""Fast writing of the demo world's OpenAlex-shaped records (DuckDB's JSON writer).

Only ``engines/`` imports duckdb; the demo generator builds nested Arrow tables
and hands them here to become gzipped JSON Lines, one record per row.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

__all__ = ["write_json_lines_gz"]


def write_json_lines_gz(table: pa.Table, path: Path) -> int:
    """Write ``table`` as gzipped JSON Lines at ``path``; return the file's size in bytes."""
    import duckdb

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("records", table)
        target = str(path).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM records) TO '{target}' (FORMAT JSON, COMPRESSION GZIP)")
    finally:
        con.close()
    return path.stat().st_size
