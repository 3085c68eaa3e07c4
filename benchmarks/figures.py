"""Printing the benchmarks' figures (shared by the scripts beside this file)."""

from __future__ import annotations


def print_table(rows: list[dict[str, str]]) -> None:
    """Rows of equal keys as left-aligned columns under a header and a rule."""
    columns = list(rows[0])
    widths = {column: max(len(column), *(len(row[column]) for row in rows)) for column in columns}
    print("  ".join(column.ljust(widths[column]) for column in columns))
    print("  ".join("-" * widths[column] for column in columns))
    for row in rows:
        print("  ".join(row[column].ljust(widths[column]) for column in columns))
