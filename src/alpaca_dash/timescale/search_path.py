"""Relations of this installation only, when several share a database.

An installation lives in the first schema of its search path (``with_schema`` puts ``public`` after it for the
extensions). ``to_regclass('runs')`` follows the whole path, so in a schema without a ``runs`` it finds the one in
``public``: another installation's. Whether a table of ours exists is asked in our own schema.
"""

from __future__ import annotations


def own_relation(name: str) -> str:
    """SQL for the oid of relation ``name`` in this installation's schema, NULL when it has none (never another's)."""
    return f"to_regclass(quote_ident(current_schema()) || '.{name}')"
