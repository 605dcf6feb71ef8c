"""A throw-away PostgreSQL database, for the tests and the benchmarks alike."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


@contextmanager
def temporary_database(server_url: str, *, prefix: str = "ocop_test",
                       template: str | None = None) -> Iterator[str]:
    """Create a new database on ``server_url`` (empty, or a copy of ``template``) and
    yield its URL; drop it after."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    plain = re.sub(r"^postgresql\+psycopg://", "postgresql://", server_url)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template
                                                     else ""))
    try:
        yield re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", plain, count=1)
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
