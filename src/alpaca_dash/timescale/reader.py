"""Column reads by binary COPY, decoded by numpy: 100k rows arrive as arrays, not as 100k Python tuples."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import psycopg

from alpaca_dash.timescale.binary_copy import WIRE_TYPES

HEADER_SIZE = 19  # signature (11), flags (4), header extension length (4, always 0 from the server)
ARRAY_HEADER_SIZE = 20  # ndim, has-nulls flag, element type, then length and lower bound of the one dimension


def aggregate_query(query: str, columns: int) -> str:
    """``query`` folded into one row of one array per column (empty arrays when it has no rows)."""
    names = [f"c{i}" for i in range(columns)]
    arrays = ", ".join(f"coalesce(array_agg({name}), '{{}}')" for name in names)
    return f"SELECT {arrays} FROM ({query}) AS t({', '.join(names)})"


def copy_columns(
    conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...], types: list[str]
) -> list[np.ndarray[Any, Any]]:
    """Run ``query`` and return one native numpy array per column, in the order the rows come.

    The server folds the rows into one array per column and sends them as a single binary COPY row: a COPY sends a
    message per row, and taking 100k of them costs psycopg more than the query itself. ``array_agg`` keeps the order
    of a subquery's ORDER BY in practice, not by guarantee: callers that need an order sort the arrays.

    Every column must be fixed-width and never NULL (wrap nullable ones in ``coalesce``).

    :param types: the PostgreSQL type of each column: ``int2``, ``int4``, ``int8``, ``float8`` or ``bool``.
    """
    payload = bytearray()
    statement = f"COPY ({aggregate_query(query, len(types))}) TO STDOUT (FORMAT BINARY)"
    with conn.cursor() as cur, cur.copy(statement, params) as copy:
        for chunk in copy:
            payload += chunk
    return decode_arrays(bytes(payload), types)


def decode_arrays(payload: bytes, types: list[str]) -> list[np.ndarray[Any, Any]]:
    """The columns of a binary COPY payload of one row of one-dimensional arrays of fixed-width, non-NULL values."""
    (fields,) = struct.unpack_from(">h", payload, HEADER_SIZE)
    if fields != len(types):
        raise ValueError(f"binary COPY row has {fields} fields, expected {len(types)}")
    position = HEADER_SIZE + 2
    columns = []
    for pg_type in types:
        (length,) = struct.unpack_from(">i", payload, position)
        columns.append(decode_array(payload, position + 4, pg_type))
        position += 4 + length
    return columns


def decode_array(payload: bytes, offset: int, pg_type: str) -> np.ndarray[Any, Any]:
    """One binary-format array value at ``offset``: its elements as a native numpy array."""
    wire = np.dtype(WIRE_TYPES[pg_type])
    ndim, has_nulls = struct.unpack_from(">ii", payload, offset)
    if ndim == 0:
        return np.array([], dtype=wire.newbyteorder("="))
    if ndim != 1 or has_nulls:
        raise ValueError("binary COPY array is not one-dimensional or has NULLs")
    (count,) = struct.unpack_from(">i", payload, offset + 12)
    element = np.dtype([("length", ">i4"), ("value", wire)])
    items = np.frombuffer(payload, dtype=element, count=count, offset=offset + ARRAY_HEADER_SIZE)
    if count and not bool(np.all(items["length"] == wire.itemsize)):
        raise ValueError(f"binary COPY array of {pg_type} has elements of another width")
    return items["value"].astype(wire.newbyteorder("="), copy=True)
