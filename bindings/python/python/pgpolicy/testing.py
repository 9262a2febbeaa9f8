"""Helpers for tests: a throwaway PostgreSQL (local server binaries; a unix socket only;
removed on exit), and policy tests (``pgpolicy test``'s TOML cases) from pytest::

    with EmbeddedPostgres() as pg:
        engine = create_engine(pg.sqlalchemy_url(pg.create_database("app")))
        assert_policy_tests("tests/tenant-isolation.toml", engine)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence, Union
from urllib.parse import quote

from pgpolicy import _native
from pgpolicy._db import Target, _is_url, connection_of, libpq_url, runner


class EmbeddedPostgres:
    """initdb + pg_ctl in a temporary directory (through `runuser -u postgres` as root)."""

    def __init__(self) -> None:
        self._server = _native.EmbeddedPostgres()

    @property
    def socket_dir(self) -> str:
        return self._server.socket_dir

    @property
    def port(self) -> int:
        return self._server.port

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL as the superuser `postgres` (for `pgpolicy.introspect`, psql, ...)."""
        return self._server.url(dbname)

    def sqlalchemy_url(self, dbname: str = "postgres", driver: str = "psycopg", user: str = "postgres") -> str:
        """A SQLAlchemy URL over the unix socket, e.g. `postgresql+psycopg://postgres@/app?host=...`."""
        return f"postgresql+{driver}://{quote(user)}@/{quote(dbname)}?host={quote(self.socket_dir)}&port={self.port}"

    def create_database(self, name: str) -> str:
        """Creates the database; returns its libpq URL."""
        return self._server.create_database(name)

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Runs SQL through psql as the superuser (stops at the first error)."""
        return self._server.psql(sql, dbname)

    def stop(self) -> None:
        self._server.stop()

    @property
    def running(self) -> bool:
        return self._server.running

    def __enter__(self) -> "EmbeddedPostgres":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


Tests = Union[str, "os.PathLike[str]"]


def _tests_text(tests: Tests) -> str:
    """A path to a TOML file, or the TOML text itself (a string with a newline)."""
    if isinstance(tests, str) and "\n" in tests:
        return tests
    return Path(tests).read_text()


def run_policy_tests(tests: Tests, db: Target) -> Sequence[Mapping[str, Any]]:
    """Runs policy tests (the cases of ``pgpolicy test``: role, settings, a command on a
    table, expected rows, count or denial) on `db` (a URL, or a SQLAlchemy Engine,
    Connection or Session: each case in a savepoint of its transaction); every case is
    rolled back. Returns ``[{"name", "passed", "detail"}]``. A file's ``setup`` and
    ``declaration`` are for the CLI's throwaway database and are not run here."""
    text = _tests_text(tests)
    if _is_url(db):
        return _native.policy_tests_url(libpq_url(db), text)
    with connection_of(db) as conn:
        return _native.policy_tests_with(runner(conn), text)


def assert_policy_tests(tests: Tests, db: Target) -> None:
    """`run_policy_tests`, raising ``AssertionError`` that lists every failed case."""
    failed = [o for o in run_policy_tests(tests, db) if not o["passed"]]
    if failed:
        raise AssertionError("policy tests failed:\n" + "\n".join(f"{o['name']}: {o['detail']}" for o in failed))
