"""rls_context: transaction-local role and settings, nesting, nothing left in a pooled
connection, Session, Connection and AsyncSession (psycopg and asyncpg)."""

from __future__ import annotations

import asyncio
from typing import Any, Iterator, Tuple

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pgpolicy.sqlalchemy import async_rls_context, rls_context
from pgpolicy.testing import EmbeddedPostgres

STATE = sa.text("SELECT current_user, current_setting('app.tenant', true), current_setting('app.user', true)")


@pytest.fixture
def roles(pg: EmbeddedPostgres, db: str) -> Tuple[str, str]:
    outer, inner = f"outer_{db}", f"in ner:{db}"  # a name that needs quoting
    pg.psql(f'CREATE ROLE "{outer}" NOLOGIN; CREATE ROLE "{inner}" NOLOGIN', db)
    return outer, inner


@pytest.fixture
def pool_of_one(pg: EmbeddedPostgres, db: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(pg.sqlalchemy_url(db), pool_size=1, max_overflow=0)
    yield eng
    eng.dispose()


def unset(value: Any) -> bool:
    return value in (None, "")


def test_nothing_leaks_into_the_pool(pool_of_one: sa.Engine, roles: Tuple[str, str]) -> None:
    outer, _ = roles
    with Session(pool_of_one) as session:
        with rls_context(session, role=outer, settings={"app.tenant": "7", "app.user": 42}):
            assert tuple(session.execute(STATE).one()) == (outer, "7", "42")
        session.commit()
    with pool_of_one.connect() as conn:  # the same pooled connection
        user, tenant, app_user = conn.execute(STATE).one()
        assert user == "postgres" and unset(tenant) and unset(app_user)
        assert conn.exec_driver_sql("SELECT current_setting('role')").scalar() == "none"


def test_rollback_also_clears(pool_of_one: sa.Engine, roles: Tuple[str, str]) -> None:
    with Session(pool_of_one) as session:
        with rls_context(session, role=roles[0], settings={"app.tenant": "1"}):
            pass
        session.rollback()
    with pool_of_one.connect() as conn:
        user, tenant, _ = conn.execute(STATE).one()
        assert user == "postgres" and unset(tenant)


def test_nested_contexts_restore_the_outer_values(engine: sa.Engine, roles: Tuple[str, str]) -> None:
    outer, inner = roles
    with Session(engine) as session, session.begin():
        with rls_context(session, role=outer, settings={"app.tenant": "1"}):
            with rls_context(session, role=inner, settings={"app.tenant": "2", "app.user": "u"}):
                assert tuple(session.execute(STATE).one()) == (inner, "2", "u")
            user, tenant, app_user = session.execute(STATE).one()
            assert (user, tenant) == (outer, "1") and unset(app_user)
            with rls_context(session, settings={"app.user": "v"}):  # settings only: role stays
                assert tuple(session.execute(STATE).one()) == (outer, "1", "v")
            assert unset(session.execute(STATE).one()[2])
        user, tenant, _ = session.execute(STATE).one()
        assert user == "postgres" and unset(tenant)


def test_connection_and_bound_values(engine: sa.Engine, roles: Tuple[str, str]) -> None:
    hostile = "x'); SELECT pg_sleep(10); --"
    with engine.begin() as conn:
        with rls_context(conn, role=roles[1], settings={"app.tenant": hostile}):
            assert tuple(conn.execute(STATE).one())[:2] == (roles[1], hostile)


def test_error_inside_leaves_the_error(engine: sa.Engine, roles: Tuple[str, str]) -> None:
    with Session(engine) as session:
        with pytest.raises(sa.exc.ProgrammingError):
            with rls_context(session, role=roles[0], settings={"app.tenant": "1"}):
                session.execute(sa.text("SELECT * FROM no_such_table"))
        session.rollback()
        user, tenant, _ = session.execute(STATE).one()
        assert user == "postgres" and unset(tenant)


@pytest.mark.parametrize("driver", ["psycopg", "asyncpg"])
def test_async_session(pg: EmbeddedPostgres, db: str, roles: Tuple[str, str], driver: str) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    outer, inner = roles

    async def main() -> None:
        eng = create_async_engine(pg.sqlalchemy_url(db, driver=driver), pool_size=1, max_overflow=0)
        try:
            async with AsyncSession(eng) as session:
                async with rls_context(session, role=outer, settings={"app.tenant": "1"}):
                    async with async_rls_context(session, role=inner, settings={"app.tenant": "2"}):
                        assert tuple((await session.execute(STATE)).one())[:2] == (inner, "2")
                    assert tuple((await session.execute(STATE)).one())[:2] == (outer, "1")
                await session.commit()
            async with eng.connect() as conn:
                user, tenant, _ = (await conn.execute(STATE)).one()
                assert user == "postgres" and unset(tenant)
                async with rls_context(conn, role=outer):
                    assert (await conn.execute(STATE)).one()[0] == outer
        finally:
            await eng.dispose()

    asyncio.run(main())


def test_sync_with_on_async_session_is_refused(pg: EmbeddedPostgres, db: str) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    eng = create_async_engine(pg.sqlalchemy_url(db))
    with pytest.raises(TypeError, match="async with"):
        with rls_context(AsyncSession(eng), role="x"):
            pass
    asyncio.run(eng.dispose())


def test_statements_come_from_the_core_and_setting_names_are_checked(engine: sa.Engine) -> None:
    from pgpolicy import ValidationError, _native

    enter, snapshot = _native.context_statements("App User", [("app.tenant", "1"), ("app.user", None)])
    assert enter == [
        ('SET LOCAL ROLE "App User"', []),
        ("SELECT pg_catalog.set_config($1, $2, true)", ["app.tenant", "1"]),
        ("SELECT pg_catalog.set_config($1, $2, true)", ["app.user", ""]),
    ]
    assert snapshot[0].startswith("SELECT pg_catalog.current_setting('role') AS role, ")
    with engine.connect() as conn:
        for name in ["search_path", "app.x'", 'app."x"', "app.x; SELECT 1"]:
            with pytest.raises(ValidationError) as e:
                rls_context(conn, settings={name: "1"})
            assert e.value.code == "INVALID_CONTEXT"


def test_nested_context_restores_the_set_role_value(engine: sa.Engine, roles: Tuple[str, str]) -> None:
    ROLE = sa.text("SELECT current_setting('role'), current_user")
    with engine.begin() as conn:
        with rls_context(conn, settings={"app.tenant": "1"}):
            with rls_context(conn, role=roles[0]):
                assert conn.execute(ROLE).one()[1] == roles[0]
            # No SET ROLE before, none after (not an explicit SET ROLE to the login role).
            assert tuple(conn.execute(ROLE).one()) == ("none", "postgres")
