"""Diff, introspection and apply against a database given as a URL (the core connects
itself) or as a SQLAlchemy Engine, Connection or Session (the core's own protocol runs on
that connection, statement by statement, inside a savepoint of its transaction: pinned
settings first, then the catalog query, the round trip or the plan)."""

from __future__ import annotations

import contextlib
import datetime
import re
import threading
from typing import Any, Callable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from pgpolicy import _native
from pgpolicy._native import Impact, Plan, Schema, Timeouts

Target = Union[str, Any]
Duration = Union[str, datetime.timedelta]
Run = Callable[[str, bool], Optional[List[Tuple[Any, ...]]]]

_DRIVER = re.compile(r"^postgres(?:ql)?\+[A-Za-z0-9_]+://")


def libpq_url(url: Any) -> str:
    """A URL the core's driver accepts: a SQLAlchemy URL or `postgresql+driver://` string
    becomes `postgresql://`."""
    if not isinstance(url, str):
        url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return _DRIVER.sub("postgresql://", url)


def _is_url(target: Any) -> bool:
    return isinstance(target, str) or type(target).__name__ == "URL"


def schemas_of(desired: Schema) -> List[str]:
    """The schemas a declaration names (its tables' and grants'; `public` when it names
    none): the core's `Schema::schema_names`."""
    return desired.schema_names()


def timeouts(
    lock_timeout: Optional[Duration] = None,
    statement_timeout: Optional[Duration] = None,
    connect_timeout: Optional[Duration] = None,
) -> Timeouts:
    """The core's time limits; None keeps its default (lock 5s, statement 5min, connect 10s)."""
    return Timeouts(lock=lock_timeout, statement=statement_timeout, connect=connect_timeout)


@contextlib.contextmanager
def connection_of(target: Any, *, write: bool = False) -> Iterator[Any]:
    """A SQLAlchemy Connection for an Engine, a Connection or a Session."""
    from sqlalchemy.engine import Connection, Engine

    if isinstance(target, Engine):
        with target.begin() if write else target.connect() as conn:
            yield conn
    elif isinstance(target, Connection):
        yield target
    elif hasattr(target, "connection") and callable(target.connection):
        yield target.connection()
    else:
        raise TypeError(
            f"expected a postgres URL or a SQLAlchemy Engine, Connection or Session, not {type(target).__name__}"
        )


def runner(conn: Any) -> Run:
    """`run(sql, fetch)` for the core's protocol on a SQLAlchemy Connection: one statement
    per call, rows when `fetch`. With psycopg 3 each statement is sent through the
    extended protocol (one statement per Parse, never several); other drivers send it as
    written, after the core's pinned settings."""
    driver = conn.connection.driver_connection
    if type(driver).__module__.split(".")[0] == "psycopg":
        if not conn.in_transaction():
            conn.begin()  # what the statements run in is the Connection's transaction

        def run_extended(sql: str, fetch: bool) -> Optional[List[Tuple[Any, ...]]]:
            with driver.cursor() as cur:
                cur.execute(sql, binary=True)
                return cur.fetchall() if fetch else None

        return run_extended

    def run(sql: str, fetch: bool) -> Optional[List[Tuple[Any, ...]]]:
        result = conn.exec_driver_sql(sql, execution_options={"no_parameters": True})
        return [tuple(row) for row in result] if fetch else None

    return run


def _introspect_on(conn: Any, schemas: Optional[Sequence[str]], t: Timeouts) -> Schema:
    return _native.introspect_with(runner(conn), list(schemas or []), timeouts=t)


class _Reading:
    """The catalog read on a Connection in a thread of its own ([`reading`])."""

    def __init__(self, conn: Any, schemas: Sequence[str], t: Timeouts) -> None:
        self._outcome: Tuple[Optional[Schema], Optional[BaseException]] = (None, None)
        self._thread = threading.Thread(target=self._read, args=(conn, list(schemas), t), name="pgpolicy-catalog")
        # Set when the catalog query is on its way (the first statement that returns rows;
        # the savepoint and the pins before it need the GIL, which Python beside them
        # would hold for the interpreter's switch interval at each step), or when the
        # read ends.
        self.sent = threading.Event()

    def _read(self, conn: Any, schemas: List[str], t: Timeouts) -> None:
        run = runner(conn)

        def signalling(sql: str, fetch: bool) -> Optional[List[Tuple[Any, ...]]]:
            if fetch:
                self.sent.set()
            return run(sql, fetch)

        try:
            self._outcome = (_native.introspect_with(signalling, schemas, timeouts=t), None)
        except BaseException as e:  # handed to the thread that waits for the read
            self._outcome = (None, e)
        finally:
            self.sent.set()

    def wait(self) -> None:
        """Waits for the read to end, even through an interrupt (raised afterwards): the
        connection is the read's until then."""
        interrupted: Optional[BaseException] = None
        while self._thread.is_alive():
            try:
                self._thread.join()
            except BaseException as e:  # KeyboardInterrupt while joining
                interrupted = interrupted or e
        if interrupted is not None:
            raise interrupted

    def result(self) -> Schema:
        self.wait()
        schema, error = self._outcome
        if error is not None:
            raise error
        assert schema is not None
        return schema


@contextlib.contextmanager
def reading(conn: Any, schemas: Sequence[str], t: Timeouts) -> Iterator[_Reading]:
    """Reads the catalog of `schemas` on `conn` in a thread while the block runs (the
    read waits on the server with the GIL released; the block builds the declaration in
    Python), for `.result()` afterwards. The block starts once the catalog query is
    sent. The block must not use `conn`; leaving it, even
    by an exception, waits for the read."""
    r = _Reading(conn, schemas, t)
    r._thread.start()
    try:
        r.sent.wait()
        yield r
    finally:
        r.wait()


def _diff_on(conn: Any, current: Schema, desired: Schema, prune: Optional[bool], t: Timeouts) -> Plan:
    return _native.diff_with(runner(conn), current, desired, prune=prune, timeouts=t)


def introspect(
    target: Target,
    schemas: Optional[Sequence[str]] = None,
    *,
    lock_timeout: Optional[Duration] = None,
    statement_timeout: Optional[Duration] = None,
    connect_timeout: Optional[Duration] = None,
) -> Schema:
    """Reads the RLS state (tables, policies, roles, grants) of `schemas` (default
    `public`) from a database URL or a SQLAlchemy Engine, Connection or Session."""
    t = timeouts(lock_timeout, statement_timeout, connect_timeout)
    if _is_url(target):
        return _native.introspect_url(libpq_url(target), list(schemas) if schemas else None, timeouts=t)
    with connection_of(target) as conn:
        return _introspect_on(conn, schemas, t)


def diff(
    current: Schema,
    desired: Schema,
    *,
    connection: Optional[Target] = None,
    prune: Optional[bool] = None,
    lock_timeout: Optional[Duration] = None,
    statement_timeout: Optional[Duration] = None,
    connect_timeout: Optional[Duration] = None,
) -> Plan:
    """The plan from `current` to `desired`. Offline by default; with `connection`,
    expressions the offline canonicalizer cannot prove equal are compared by PostgreSQL
    itself (a round trip in a transaction or savepoint that is rolled back)."""
    if connection is None:
        return _native.diff(current, desired, prune=prune)
    t = timeouts(lock_timeout, statement_timeout, connect_timeout)
    if _is_url(connection):
        return _native.diff_url(libpq_url(connection), current, desired, prune=prune, timeouts=t)
    with connection_of(connection) as conn:
        return _diff_on(conn, current, desired, prune, t)


def plan(
    target: Target,
    desired: Schema,
    *,
    schemas: Optional[Sequence[str]] = None,
    prune: Optional[bool] = None,
    lock_timeout: Optional[Duration] = None,
    statement_timeout: Optional[Duration] = None,
    connect_timeout: Optional[Duration] = None,
) -> Plan:
    """The plan that takes the database `target` to `desired` (introspection, then a diff
    that compares undecided expressions on the same database)."""
    t = timeouts(lock_timeout, statement_timeout, connect_timeout)
    schemas = list(schemas) if schemas else schemas_of(desired)
    if _is_url(target):
        url = libpq_url(target)
        current = _native.introspect_url(url, schemas, timeouts=t)
        return _native.diff_url(url, current, desired, prune=prune, timeouts=t)
    with connection_of(target) as conn:
        return _plan_on(conn, desired, schemas, prune, t)


def _plan_on(conn: Any, desired: Schema, schemas: Sequence[str], prune: Optional[bool], t: Timeouts) -> Plan:
    return _diff_on(conn, _introspect_on(conn, schemas, t), desired, prune, t)


def apply(
    target: Target,
    desired: Schema,
    *,
    dry_run: bool = False,
    schemas: Optional[Sequence[str]] = None,
    prune: Optional[bool] = None,
    allow_weaken: bool = False,
    lock_timeout: Optional[Duration] = None,
    statement_timeout: Optional[Duration] = None,
    connect_timeout: Optional[Duration] = None,
    retries: Optional[int] = None,
) -> Plan:
    """Brings the database to `desired` in one transaction and returns the plan (with
    `dry_run`, only returns it). A plan that weakens protection is refused with
    `WeakeningError` unless `allow_weaken`. A lock wait longer than `lock_timeout` rolls
    the plan back and retries it `retries` times (default 3) with backoff, then fails
    saying nothing was applied. On a Connection or Session the plan runs inside a
    savepoint of the caller's transaction; the caller commits."""
    t = timeouts(lock_timeout, statement_timeout, connect_timeout)
    schemas = list(schemas) if schemas else schemas_of(desired)
    if _is_url(target):
        url = libpq_url(target)
        p = _native.diff_url(url, _native.introspect_url(url, schemas, timeouts=t), desired, prune=prune, timeouts=t)
        if p and not dry_run:
            _native.apply_url(url, p, allow_weaken=allow_weaken, timeouts=t, retries=retries)
        return p
    with connection_of(target, write=True) as conn:
        p = _plan_on(conn, desired, schemas, prune, t)
        if p and not dry_run:
            _native.apply_with(runner(conn), p, allow_weaken=allow_weaken, timeouts=t, retries=retries)
        return p


def impact(
    target: Target,
    desired: Schema,
    *,
    role: str,
    settings: Optional[Mapping[str, str]] = None,
    sample_limit: Optional[int] = None,
    schemas: Optional[Sequence[str]] = None,
    lock_timeout: Optional[Duration] = None,
    statement_timeout: Optional[Duration] = None,
    connect_timeout: Optional[Duration] = None,
) -> Impact:
    """What the plan that takes the database `target` to `desired` changes for `role`'s
    rows, measured before it runs: per table, the rows that become visible or invisible,
    updatable, deletable, and (a proxy) insertable. The core evaluates the old and new
    predicates as `role` with `settings` (each setting a predicate reads must be given), in
    a read-only transaction (or savepoint) that is rolled back, on every row up to
    `sample_limit` (default 10,000), else on a sample of that size."""
    t = timeouts(lock_timeout, statement_timeout, connect_timeout)
    schemas = list(schemas) if schemas else schemas_of(desired)
    pairs = [(k, v) for k, v in (settings or {}).items()]
    if _is_url(target):
        url = libpq_url(target)
        current = _native.introspect_url(url, schemas, timeouts=t)
        p = _native.diff_url(url, current, desired, timeouts=t)
        return _native.impact_url(url, current, desired, p, role, pairs, sample_limit, timeouts=t)
    with connection_of(target) as conn:
        current = _introspect_on(conn, schemas, t)
        p = _diff_on(conn, current, desired, None, t)
        return impact_on(conn, current, desired, p, role, settings, sample_limit, t)


def impact_on(
    conn: Any,
    current: Schema,
    desired: Schema,
    p: Plan,
    role: str,
    settings: Optional[Mapping[str, str]],
    sample_limit: Optional[int],
    t: Timeouts,
) -> Impact:
    """`impact` of a plan already made, on a SQLAlchemy Connection (in a savepoint that is
    rolled back)."""
    pairs = [(k, v) for k, v in (settings or {}).items()]
    return _native.impact_with(runner(conn), current, desired, p, role, pairs, sample_limit, timeouts=t)
