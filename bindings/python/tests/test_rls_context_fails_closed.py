"""rls_context fails closed: an AUTOCOMMIT connection is refused, a commit or rollback
inside the block does not drop the role and settings for the rest of it, and the block's
own exceptions propagate unchanged. Each failure is first shown with the same steps in
plain SQL."""

from __future__ import annotations

import asyncio
from typing import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

import pgpolicy
from pgpolicy.sqlalchemy import rls_context
from pgpolicy.testing import EmbeddedPostgres

COUNT = sa.text("SELECT count(*) FROM docs")
WHO = sa.text("SELECT current_user, current_setting('app.tenant', true)")


class Base(DeclarativeBase):
    pass


class Doc(Base):
    __tablename__ = "docs"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant: Mapped[int]


@pytest.fixture
def app(pg: EmbeddedPostgres, db: str) -> str:
    role = f"app_{db}"
    pg.psql(
        f"""
        CREATE ROLE {role} NOLOGIN;
        CREATE TABLE docs (id int PRIMARY KEY, tenant int NOT NULL);
        INSERT INTO docs VALUES (1, 1), (2, 2);
        ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant ON docs USING (tenant = current_setting('app.tenant')::int);
        GRANT SELECT, INSERT ON docs TO {role};
        """,
        db,
    )
    return role


@pytest.fixture
def autocommit(pg: EmbeddedPostgres, db: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(pg.sqlalchemy_url(db), isolation_level="AUTOCOMMIT")
    yield eng
    eng.dispose()


def test_autocommit_without_the_helper_runs_as_the_login_role(autocommit: sa.Engine, app: str) -> None:
    # What rls_context used to run on such a connection: each SET LOCAL ends with itself.
    with autocommit.connect() as conn:
        conn.exec_driver_sql(f"SET LOCAL ROLE {app}")
        conn.exec_driver_sql("SELECT set_config('app.tenant', '1', true)")
        assert conn.execute(COUNT).scalar() == 2  # every tenant, as the owner


def test_autocommit_is_refused(autocommit: sa.Engine, engine: sa.Engine, app: str) -> None:
    with autocommit.connect() as conn:
        with pytest.raises(pgpolicy.Error, match="AUTOCOMMIT"):
            with rls_context(conn, role=app, settings={"app.tenant": "1"}):
                pytest.fail("the block must not run")
    with Session(autocommit) as session:
        with pytest.raises(pgpolicy.Error, match="AUTOCOMMIT"):
            with rls_context(session, role=app, settings={"app.tenant": "1"}):
                pytest.fail("the block must not run")
    with engine.connect() as conn:
        per_connection = conn.execution_options(isolation_level="AUTOCOMMIT")
        with pytest.raises(pgpolicy.Error, match="AUTOCOMMIT"):
            with rls_context(per_connection, role=app):
                pytest.fail("the block must not run")


def test_autocommit_is_refused_async(pg: EmbeddedPostgres, db: str, app: str) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    async def main() -> None:
        eng = create_async_engine(pg.sqlalchemy_url(db, driver="psycopg"), isolation_level="AUTOCOMMIT")
        try:
            async with AsyncSession(eng) as session:
                with pytest.raises(pgpolicy.Error, match="AUTOCOMMIT"):
                    async with rls_context(session, role=app, settings={"app.tenant": "1"}):
                        pytest.fail("the block must not run")
        finally:
            await eng.dispose()

    asyncio.run(main())


def test_commit_without_the_helper_drops_the_context(engine: sa.Engine, app: str) -> None:
    with Session(engine) as session:
        session.execute(sa.text(f"SET LOCAL ROLE {app}"))
        session.execute(sa.text("SELECT set_config('app.tenant', '1', true)"))
        assert session.execute(COUNT).scalar() == 1
        session.commit()
        assert session.execute(COUNT).scalar() == 2  # the rest runs as the owner


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_session_commit_or_rollback_inside_keeps_the_context(engine: sa.Engine, app: str, end: str) -> None:
    with Session(engine) as session:
        with rls_context(session, role=app, settings={"app.tenant": "1"}):
            assert session.execute(COUNT).scalar() == 1
            getattr(session, end)()
            assert tuple(session.execute(WHO).one()) == (app, "1")
            assert session.execute(COUNT).scalar() == 1
            session.add(Doc(id=3, tenant=1))
            session.commit()
            assert [d.id for d in session.scalars(sa.select(Doc).order_by(Doc.id))] == [1, 3]
            # A savepoint inside keeps it too.
            with session.begin_nested():
                assert session.execute(COUNT).scalar() == 2
        # After the block, the next transaction is the login role's again.
        session.commit()
        assert tuple(session.execute(WHO).one())[0] == "postgres"
        assert session.execute(COUNT).scalar() == 3


def test_nested_contexts_after_commit(engine: sa.Engine, app: str) -> None:
    with Session(engine) as session:
        with rls_context(session, role=app, settings={"app.tenant": "1"}):
            with rls_context(session, settings={"app.tenant": "2"}):
                session.commit()
                assert tuple(session.execute(WHO).one()) == (app, "2")
            assert tuple(session.execute(WHO).one()) == (app, "1")
            session.commit()
            assert tuple(session.execute(WHO).one()) == (app, "1")


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_connection_commit_or_rollback_inside_keeps_the_context(engine: sa.Engine, app: str, end: str) -> None:
    with engine.connect() as conn:
        with rls_context(conn, role=app, settings={"app.tenant": "2"}):
            getattr(conn, end)()
            assert conn.execute(COUNT).scalar() == 1
            assert tuple(conn.execute(WHO).one()) == (app, "2")
        conn.commit()
        assert conn.execute(COUNT).scalar() == 2


def test_async_session_commit_inside_keeps_the_context(pg: EmbeddedPostgres, db: str, app: str) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    async def main() -> None:
        eng = create_async_engine(pg.sqlalchemy_url(db, driver="asyncpg"))
        try:
            async with AsyncSession(eng) as session:
                async with rls_context(session, role=app, settings={"app.tenant": "1"}):
                    await session.commit()
                    assert (await session.execute(COUNT)).scalar() == 1
                await session.commit()
                assert (await session.execute(COUNT)).scalar() == 2
        finally:
            await eng.dispose()

    asyncio.run(main())


def test_a_failed_flush_propagates_unchanged(engine: sa.Engine, app: str) -> None:
    caught = None
    with Session(engine) as session:
        try:
            with rls_context(session, role=app, settings={"app.tenant": "1"}):
                session.add(Doc(id=1, tenant=1))  # a duplicate key
                session.flush()
        except IntegrityError as e:
            caught = e
        assert caught is not None
        session.rollback()
        assert tuple(session.execute(WHO).one())[0] == "postgres"


def test_an_error_in_a_statement_propagates_unchanged(engine: sa.Engine, app: str) -> None:
    with engine.connect() as conn:
        with pytest.raises(sa.exc.ProgrammingError, match="no_such_table"):
            with rls_context(conn, role=app, settings={"app.tenant": "1"}):
                conn.execute(sa.text("SELECT * FROM no_such_table"))
        conn.rollback()
        assert conn.execute(COUNT).scalar() == 2
