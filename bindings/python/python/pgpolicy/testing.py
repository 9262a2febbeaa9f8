"""A throwaway PostgreSQL for tests and examples (local server binaries; a unix socket
only; removed on exit)::

    with EmbeddedPostgres() as pg:
        engine = create_engine(pg.sqlalchemy_url(pg.create_database("app")))
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pgpolicy import _native


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
