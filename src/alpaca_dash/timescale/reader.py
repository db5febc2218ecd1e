"""Column reads by binary COPY, decoded by numpy: 100k rows arrive as arrays, not as 100k Python tuples."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg

from alpaca_dash.timescale.binary_copy import WIRE_TYPES

HEADER_SIZE = 19  # signature (11), flags (4), header extension length (4, always 0 from the server)


def copy_columns(
    conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...], types: list[str]
) -> list[np.ndarray[Any, Any]]:
    """Run ``COPY (query) TO STDOUT (FORMAT BINARY)`` and return one native numpy array per column.

    Every column must be fixed-width and never NULL (wrap nullable ones in ``coalesce``).

    :param types: the PostgreSQL type of each column: ``int2``, ``int4``, ``int8``, ``float8`` or ``bool``.
    """
    payload = bytearray()
    with conn.cursor() as cur, cur.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)", params) as copy:
        for chunk in copy:
            payload += chunk
    return decode_columns(bytes(payload), types)


def decode_columns(payload: bytes, types: list[str]) -> list[np.ndarray[Any, Any]]:
    """Columns of a binary COPY payload of fixed-width, non-NULL fields."""
    fields: list[tuple[str, str]] = [("nfields", ">i2")]
    for i, pg_type in enumerate(types):
        fields += [(f"len{i}", ">i4"), (f"val{i}", WIRE_TYPES[pg_type])]
    row = np.dtype(fields)
    body = memoryview(payload)[HEADER_SIZE : len(payload) - 2]
    if len(body) % row.itemsize:
        raise ValueError("binary COPY payload has NULLs or variable-width fields")
    rows = np.frombuffer(body, dtype=row)
    return [rows[f"val{i}"].astype(np.dtype(WIRE_TYPES[t]).newbyteorder("="), copy=True) for i, t in enumerate(types)]
