"""Diff, introspection and apply against a database given as a URL (the core connects
itself) or as a SQLAlchemy Engine, Connection or Session (the core's statements run on
that connection, inside a savepoint that is rolled back)."""

from __future__ import annotations

import contextlib
import re
from typing import Any, Iterator, Optional, Sequence, Tuple, Union

from pgpolicy import _native
from pgpolicy._native import Plan, Schema

Target = Union[str, Any]

_DRIVER = re.compile(r"^postgres(?:ql)?\+[A-Za-z0-9_]+://")


def libpq_url(url: Any) -> str:
    """A URL the core's driver accepts: a SQLAlchemy URL or `postgresql+driver://` string
    becomes `postgresql://`."""
    if not isinstance(url, str):
        url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return _DRIVER.sub("postgresql://", url)


def _is_url(target: Any) -> bool:
    return isinstance(target, str) or type(target).__name__ == "URL"


def schemas_of(desired: Schema) -> list[str]:
    """The schemas a declaration names, and `public`."""
    return sorted({t["schema"] for t in desired.tables} | {"public"})


@contextlib.contextmanager
def connection_of(target: Any, *, write: bool = False) -> Iterator[Any]:
    """A SQLAlchemy Connection for an Engine, a Connection or a Session."""
    from sqlalchemy.engine import Connection, Engine

    if isinstance(target, Engine):
        with (target.begin() if write else target.connect()) as conn:
            yield conn
    elif isinstance(target, Connection):
        yield target
    elif hasattr(target, "connection") and callable(target.connection):
        yield target.connection()
    else:
        raise TypeError(
            f"expected a postgres URL or a SQLAlchemy Engine, Connection or Session, not {type(target).__name__}"
        )


def execute(conn: Any, sql: str) -> Any:
    """Runs one statement as written (no parameter processing)."""
    return conn.exec_driver_sql(sql, execution_options={"no_parameters": True})


@contextlib.contextmanager
def _rolled_back(conn: Any) -> Iterator[None]:
    savepoint = conn.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()


def _introspect_on(conn: Any, schemas: Optional[Sequence[str]]) -> Schema:
    with _rolled_back(conn):
        execute(conn, _native.INTROSPECT_SETUP)
        row = execute(conn, _native.catalog_query(list(schemas or []))).fetchone()
    return Schema.from_catalog_json(row[0])


def _diff_on(conn: Any, current: Schema, desired: Schema, prune: Optional[bool]) -> Plan:
    def run(sql: str, fetch: bool) -> Optional[Tuple[str, str]]:
        result = execute(conn, sql)
        if fetch:
            row = result.fetchone()
            return None if row is None else (row[0], row[1])
        return None

    with _rolled_back(conn):
        return _native.diff_with(run, current, desired, prune=prune)


def introspect(target: Target, schemas: Optional[Sequence[str]] = None) -> Schema:
    """Reads the RLS state (tables, policies, roles, grants) of `schemas` (default
    `public`) from a database URL or a SQLAlchemy Engine, Connection or Session."""
    if _is_url(target):
        return _native.introspect_url(libpq_url(target), list(schemas) if schemas else None)
    with connection_of(target) as conn:
        return _introspect_on(conn, schemas)


def diff(
    current: Schema,
    desired: Schema,
    *,
    connection: Optional[Target] = None,
    prune: Optional[bool] = None,
) -> Plan:
    """The plan from `current` to `desired`. Offline by default; with `connection`,
    expressions the offline canonicalizer cannot prove equal are compared by PostgreSQL
    itself (a round trip in a transaction that is rolled back)."""
    if connection is None:
        return _native.diff(current, desired, prune=prune)
    if _is_url(connection):
        return _native.diff_url(libpq_url(connection), current, desired, prune=prune)
    with connection_of(connection) as conn:
        return _diff_on(conn, current, desired, prune)


def plan(
    target: Target,
    desired: Schema,
    *,
    schemas: Optional[Sequence[str]] = None,
    prune: Optional[bool] = None,
) -> Plan:
    """The plan that takes the database `target` to `desired` (introspection, then a diff
    that compares undecided expressions on the same database)."""
    schemas = list(schemas) if schemas else schemas_of(desired)
    if _is_url(target):
        url = libpq_url(target)
        current = _native.introspect_url(url, schemas)
        return _native.diff_url(url, current, desired, prune=prune)
    with connection_of(target) as conn:
        current = _introspect_on(conn, schemas)
        return _diff_on(conn, current, desired, prune)


def apply(
    target: Target,
    desired: Schema,
    *,
    dry_run: bool = False,
    schemas: Optional[Sequence[str]] = None,
    prune: Optional[bool] = None,
) -> Plan:
    """Brings the database to `desired` in one transaction and returns the plan (with
    `dry_run`, only returns it). On a Connection or Session the plan runs inside a
    savepoint of the caller's transaction; the caller commits."""
    if _is_url(target):
        p = plan(target, desired, schemas=schemas, prune=prune)
        if p and not dry_run:
            _native.apply_url(libpq_url(target), p)
        return p
    with connection_of(target, write=True) as conn:
        p = plan(conn, desired, schemas=schemas, prune=prune)
        if p and not dry_run:
            with conn.begin_nested():
                for stmt in p.statements():
                    execute(conn, stmt)
        return p
