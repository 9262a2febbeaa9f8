"""Roles are cluster-wide, Alembic migrations per database: the guides' migration runs on
two databases of one cluster (the second run finds the role and brings it to the declared
state), the app role inserts with only its declared grants on both, and `alembic
downgrade base` succeeds on both; the role goes with the last database that uses it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, List

import sqlalchemy as sa
from alembic import command
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import pgpolicy.alembic  # noqa: F401
from pgpolicy.sqlalchemy import Grant, Policy, Role
from pgpolicy.testing import EmbeddedPostgres

GUIDE_USING = "tenant_id = current_setting('app.current_tenant')::integer"


def guide_models(app: str) -> sa.MetaData:
    """The guide's tenants and users; the app role may read and insert, nothing else."""

    class Base(DeclarativeBase):
        pass

    class Tenant(Base):
        __tablename__ = "tenants"
        __table_args__ = (Role(app, login=True), Grant(app, ["SELECT", "INSERT"]))
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30))

    class User(Base):
        __tablename__ = "users"
        __table_args__ = (
            Policy("tenant_isolation", roles=[app], using=GUIDE_USING),
            Grant(app, ["SELECT", "INSERT"]),
        )
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30))
        tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))

    return Base.metadata


def role_exists(engine: sa.Engine, role: str) -> bool:
    with engine.connect() as conn:
        return bool(conn.exec_driver_sql("SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)).scalar())


def as_app(engine: sa.Engine, app: str, tenant: int, sql: List[str]) -> List[Any]:
    """Runs statements as the app role with the tenant set, in one transaction; the
    result of the last one."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f'SET LOCAL ROLE "{app}"')
        conn.exec_driver_sql("SELECT set_config('app.current_tenant', %s, true)", (str(tenant),))
        result = None
        for stmt in sql:
            result = conn.exec_driver_sql(stmt)
        return list(result.scalars()) if result is not None and result.returns_rows else []


def test_the_guides_migration_runs_on_two_databases_and_is_undone_on_both(
    pg: EmbeddedPostgres, new_db: Callable[[], str], alembic_project: Callable[..., Any], tmp_path: Path
) -> None:
    first, second = new_db(), new_db()
    app = f"app_{first}"
    md = guide_models(app)
    cfg1 = alembic_project(pg.sqlalchemy_url(first), md)
    cfg2 = alembic_project(pg.sqlalchemy_url(second), md)  # the same versions directory
    script = command.revision(cfg1, message="guide", autogenerate=True)
    text = Path(script.path).read_text()  # type: ignore[union-attr]
    assert f"op.create_role('{app}', login=True)" in text
    command.upgrade(cfg1, "head")
    # The role exists now (roles are cluster-wide): the second database's run brings it
    # to the declared state instead of failing.
    command.upgrade(cfg2, "head")

    engines = [sa.create_engine(pg.sqlalchemy_url(name)) for name in (first, second)]
    try:
        for engine in engines:
            # Only the declared grants: INSERT on a serial id needs USAGE on its sequence,
            # which the INSERT grant carries.
            as_app(engine, app, 1, ["INSERT INTO tenants (id, name) VALUES (1, 'Acme'), (2, 'Globex')"])
            as_app(engine, app, 1, ["INSERT INTO users (name, tenant_id) VALUES ('John', 1)"])
            as_app(engine, app, 2, ["INSERT INTO users (name, tenant_id) VALUES ('Sarah', 2)"])
            assert as_app(engine, app, 1, ["SELECT name FROM users"]) == ["John"]
            assert as_app(engine, app, 2, ["SELECT name FROM users"]) == ["Sarah"]
            # Nothing beyond the declared grants.
            try:
                as_app(engine, app, 1, ["DELETE FROM users"])
                raise AssertionError("DELETE must be denied")
            except sa.exc.ProgrammingError as e:
                assert "permission denied for table users" in str(e)

        # Undone on the first database: the role still holds privileges in the second,
        # so it is kept (a NOTICE says why) and the downgrade does not fail.
        command.downgrade(cfg1, "base")
        assert role_exists(engines[0], app)
        with engines[0].connect() as conn:
            assert conn.exec_driver_sql("SELECT to_regclass('users')").scalar() is None
        # Undone on the second: nothing depends on the role any more; it is dropped.
        command.downgrade(cfg2, "base")
        assert not role_exists(engines[1], app)
    finally:
        for engine in engines:
            engine.dispose()
