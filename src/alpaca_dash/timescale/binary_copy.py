"""PostgreSQL binary COPY payloads built by numpy, for fixed-width columns without NULLs.

psycopg's ``write_row`` costs a Python call per row; laying the rows out as one numpy structured array costs a few
vectorised copies, which is what lets scalar ingest run at the speed of the COPY itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
NULL_LENGTH = (-1).to_bytes(4, "big", signed=True)

#: PostgreSQL binary wire type of each numpy column type we send
WIRE_TYPES: dict[str, str] = {
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "bool": "?",
}


def encode_rows(count: int, columns: list[tuple[str, np.ndarray[Any, Any] | None]]) -> bytearray:
    """The binary COPY rows (no header, no trailer) of ``count`` rows.

    The rows are stamped from a one-row template (field counts and lengths), then each column is byte-swapped in
    aligned memory and copied into place: several times faster than converting into the packed rows directly.

    :param columns: (PostgreSQL type, values) per column, in table column order; ``("null", None)`` is a column
        that is NULL in every row.
    """
    fields: list[tuple[str, str]] = [("nfields", ">i2")]
    template = [len(columns).to_bytes(2, "big")]
    for i, (pg_type, values) in enumerate(columns):
        fields.append((f"len{i}", ">i4"))
        if values is None:
            template.append(NULL_LENGTH)
            continue
        if len(values) != count:
            raise ValueError(f"column {i} has {len(values)} values, expected {count}")
        size = np.dtype(WIRE_TYPES[pg_type]).itemsize
        fields.append((f"val{i}", WIRE_TYPES[pg_type]))
        template += [size.to_bytes(4, "big"), bytes(size)]
    buffer = bytearray(b"".join(template)) * count
    rows = np.frombuffer(buffer, dtype=np.dtype(fields))
    for i, (pg_type, values) in enumerate(columns):
        if values is not None:
            rows[f"val{i}"] = np.asarray(values).astype(WIRE_TYPES[pg_type], copy=False)
    return buffer


def encode_row(values: list[tuple[str, Any]]) -> bytes:
    """One binary COPY row of mixed columns: (type, value) with types ``int2/int4/int8/float8/bytea``; None is NULL."""
    parts = [len(values).to_bytes(2, "big")]
    for pg_type, value in values:
        if value is None:
            parts.append(NULL_LENGTH)
            continue
        data = bytes(value) if pg_type == "bytea" else np.array(value, dtype=WIRE_TYPES[pg_type]).tobytes()
        parts += [len(data).to_bytes(4, "big"), data]
    return b"".join(parts)
