"""Safety on the user's own connections: every statement the package runs is read as the
core proved it (pinned settings first), pgpolicy's catalog query resolves nothing a user
planted, weakening is refused unless allowed, lock waits are bounded. Each test first
shows the attack or fault working where pgpolicy's defenses are not in the way."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import sqlalchemy as sa
from alembic import command

import pgpolicy
import pgpolicy.alembic  # noqa: F401
from pgpolicy.sqlalchemy import Policy, RowLevelSecurity, schema_from_metadata
from pgpolicy.testing import EmbeddedPostgres

# One expression under standard_conforming_strings = on (two string constants); under
# off, `'\'` does not end the first string, and the text closes the policy's USING, drops
# the table `victim` and ends in a harmless SELECT.
INJECTION = "b = '\\' AND b = ');DROP TABLE victim;SELECT (1 --'\nIS NOT NULL"


def declaration(expr: str = INJECTION) -> pgpolicy.Schema:
    table = {"name": "t", "columns": [{"name": "b", "type": "text"}], "policies": [{"name": "p", "using": expr}]}
    return pgpolicy.Schema.from_json(json.dumps({"tables": [table]}))


def scs_off(pg: EmbeddedPostgres, new_db: Callable[[], str], *, with_t: bool = True) -> str:
    """A database whose sessions start with standard_conforming_strings off, with a table
    `victim` (and `t`, the policy's table)."""
    db = new_db()
    pg.psql(("CREATE TABLE t (b text); " if with_t else "") + "CREATE TABLE victim (x int)", db)
    pg.psql(f"ALTER DATABASE {db} SET standard_conforming_strings = off", db)
    return db


def has_victim(pg: EmbeddedPostgres, db: str) -> bool:
    return pg.psql("SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'victim'", db).strip() == "1"


def stored_using(pg: EmbeddedPostgres, db: str) -> str:
    return pg.psql("SELECT pg_catalog.pg_get_expr(polqual, polrelid) FROM pg_catalog.pg_policy WHERE polname = 'p'", db)


def test_the_injection_runs_when_the_session_is_not_pinned(pg: EmbeddedPostgres, new_db: Callable[[], str]) -> None:
    create = pgpolicy.diff(pgpolicy.Schema.empty(), declaration()).statements()[0]
    assert create.startswith("CREATE POLICY p ON public.t ") and create.endswith("IS NOT NULL)")
    # The same statement, sent as SQLAlchemy sends text, on a plain connection to a
    # database with standard_conforming_strings off: three statements, one a DROP.
    db = scs_off(pg, new_db)
    engine = sa.create_engine(pg.sqlalchemy_url(db))
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SHOW standard_conforming_strings").scalar() == "off"
        conn.exec_driver_sql(create)
    engine.dispose()
    assert not has_victim(pg, db)
    assert stored_using(pg, db).strip() == "(b = ''' AND b = '::text)"


def test_apply_on_an_engine_and_a_url_reads_one_expression(pg: EmbeddedPostgres, new_db: Callable[[], str]) -> None:
    db = scs_off(pg, new_db)
    engine = sa.create_engine(pg.sqlalchemy_url(db))
    plan = pgpolicy.apply(engine, declaration())
    assert [c.kind for c in plan.changes] == ["create_policy"]
    assert has_victim(pg, db)
    assert "');DROP TABLE victim;SELECT (1 --'" in stored_using(pg, db)
    # The comparison's round trip runs on the same connection, under the same pins.
    assert not pgpolicy.plan(engine, declaration())
    with engine.connect() as conn:  # the database's own setting is untouched
        assert conn.exec_driver_sql("SHOW standard_conforming_strings").scalar() == "off"
    engine.dispose()

    db2 = scs_off(pg, new_db)
    assert pgpolicy.apply(pg.url(db2), declaration())
    assert has_victim(pg, db2) and "DROP TABLE victim" in stored_using(pg, db2)
    assert not pgpolicy.plan(pg.url(db2), declaration())


def test_create_all_and_an_alembic_migration_read_one_expression(
    pg: EmbeddedPostgres, new_db: Callable[[], str], alembic_project: Callable[..., Any]
) -> None:
    def metadata() -> sa.MetaData:
        md = sa.MetaData()
        sa.Table(
            "t",
            md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("b", sa.Text),
            Policy("p", using=INJECTION),
        )
        sa.Table("victim", md, sa.Column("x", sa.Integer))
        return md

    db = scs_off(pg, new_db, with_t=False)
    engine = sa.create_engine(pg.sqlalchemy_url(db))
    metadata().create_all(engine)
    engine.dispose()
    assert has_victim(pg, db) and "DROP TABLE victim" in stored_using(pg, db)

    db2 = scs_off(pg, new_db, with_t=False)
    cfg = alembic_project(pg.sqlalchemy_url(db2), metadata())
    script = command.revision(cfg, message="injection", autogenerate=True)
    assert "op.create_policy('p', 't', using=" in Path(script.path).read_text()
    command.upgrade(cfg, "head")
    assert has_victim(pg, db2) and "DROP TABLE victim" in stored_using(pg, db2)
    command.check(cfg)


def test_catalog_reading_resolves_nothing_planted_in_public(pg: EmbeddedPostgres, db: str, engine: sa.Engine) -> None:
    role = f"app_{db}"
    pg.psql(
        f"CREATE ROLE {role} NOLOGIN; CREATE TABLE docs (owner text);"
        f"CREATE POLICY own ON docs TO {role} USING (owner = current_user);"
        "CREATE FUNCTION public.unnest(oid[]) RETURNS SETOF oid LANGUAGE plpgsql"
        " AS $$ BEGIN RAISE EXCEPTION 'planted public.unnest(oid[]) was called'; END $$;"
        "CREATE FUNCTION public.oid_is_int(oid, integer) RETURNS boolean LANGUAGE sql AS 'SELECT true';"
        "CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = integer, FUNCTION = public.oid_is_int);",
        db,
    )
    # Unqualified, both resolve to the planted objects (exact argument types win over
    # pg_catalog's polymorphic unnest and its oid = oid).
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 42::oid = 0").scalar() is True
        with pytest.raises(sa.exc.DBAPIError, match="planted public.unnest"):
            conn.exec_driver_sql("SELECT unnest(polroles) FROM pg_catalog.pg_policy")
    for target in (engine, pg.url(db)):
        state = pgpolicy.introspect(target)
        assert [(p["name"], p["roles"]) for p in state.policies] == [("own", [role])]
    desired = {
        "tables": [
            {
                "name": "docs",
                "columns": [{"name": "owner", "type": "text"}],
                "policies": [{"name": "own", "roles": [role], "using": "owner = CURRENT_USER"}],
            }
        ]
    }
    assert not pgpolicy.plan(engine, pgpolicy.Schema.from_json(json.dumps(desired)))


def test_a_weakening_plan_is_refused_unless_allowed(pg: EmbeddedPostgres, db: str, engine: sa.Engine) -> None:
    pg.psql(
        "CREATE TABLE docs (owner text); ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY",
        db,
    )

    def flags() -> Any:
        return [t["rls"] for t in pgpolicy.introspect(engine).tables if t["name"] == "docs"][0]

    off = pgpolicy.Schema.from_json(
        json.dumps({"tables": [{"name": "docs", "rls": {"enabled": False, "forced": False}}]})
    )
    dry = pgpolicy.apply(engine, off, dry_run=True)
    assert dry.weakening() == [
        "turns row-level security off on public.docs",
        "stops forcing row-level security on public.docs (its owner bypasses the policies)",
    ]
    assert "-- WEAKENS: turns row-level security off on public.docs\n" in dry.sql()
    assert [s.weakens for s in dry.steps()] == dry.weakening()
    for target in (engine, pg.url(db)):
        with pytest.raises(pgpolicy.WeakeningError, match="weakens protection") as info:
            pgpolicy.apply(target, off)
        assert info.value.code == "WEAKENS"
        assert isinstance(info.value, pgpolicy.Error)
        assert flags() == {"enabled": True, "forced": True}

    # A model that declares only a policy says nothing about FORCE: it stays on.
    md = sa.MetaData()
    sa.Table("docs", md, sa.Column("owner", sa.Text), Policy("own", using="owner = current_user"))
    assert [c.kind for c in pgpolicy.plan(engine, schema_from_metadata(md)).changes] == ["create_policy"]
    sa.Table("docs", md, RowLevelSecurity(force=False), extend_existing=True)
    with pytest.raises(pgpolicy.WeakeningError, match="stops forcing"):
        pgpolicy.apply(engine, schema_from_metadata(md))

    pgpolicy.apply(engine, off, allow_weaken=True)
    assert flags() == {"enabled": False, "forced": False}


def test_generated_migration_pins_its_transaction_and_marks_weakening(
    pg: EmbeddedPostgres, db: str, alembic_project: Callable[..., Any]
) -> None:
    pg.psql("CREATE TABLE users (id integer PRIMARY KEY); ALTER TABLE users ENABLE ROW LEVEL SECURITY", db)
    md = sa.MetaData()
    # Without a declaration the flag is left alone; turning RLS off must be declared.
    sa.Table("users", md, sa.Column("id", sa.Integer, primary_key=True))
    cfg = alembic_project(pg.sqlalchemy_url(db), md)
    text = Path(command.revision(cfg, message="nothing", autogenerate=True).path).read_text()
    assert "disable_rls" not in text and "WEAKENS" not in text
    command.upgrade(cfg, "head")
    md = sa.MetaData()
    sa.Table("users", md, sa.Column("id", sa.Integer, primary_key=True), RowLevelSecurity(enabled=False))
    cfg = alembic_project(pg.sqlalchemy_url(db), md, pgpolicy_lock_timeout="2s", pgpolicy_statement_timeout="1min")
    text = Path(command.revision(cfg, message="rls off", autogenerate=True).path).read_text()
    up = text[text.index("def upgrade()") : text.index("def downgrade()")]
    down = text[text.index("def downgrade()") :]
    assert (
        "    op.pgpolicy_session()\n"
        "    # WEAKENS: turns row-level security off on public.users\n"
        "    op.disable_rls('users')\n"
    ) in up
    assert "    op.pgpolicy_session()\n    op.enable_rls('users')\n" in down and "WEAKENS" not in down

    buf = io.StringIO()
    cfg.output_buffer = buf
    command.upgrade(cfg, "head", sql=True)
    out = buf.getvalue()
    pins = [
        "SET LOCAL standard_conforming_strings TO on;",
        "SET LOCAL search_path TO public;",
        "SET LOCAL lock_timeout TO '2000ms';",
        "SET LOCAL statement_timeout TO '60000ms';",
    ]
    at = out.index(pins[0])
    assert out[at:].split("\n\n")[:4] == pins
    assert out.index(pins[-1]) < out.index("ALTER TABLE public.users DISABLE ROW LEVEL SECURITY;")

    command.upgrade(cfg, "head")
    assert [t["rls"] for t in pgpolicy.introspect(pg.url(db)).tables if t["name"] == "users"] == [
        {"enabled": False, "forced": False}
    ]


def test_apply_gives_up_on_a_held_lock(pg: EmbeddedPostgres, db: str, engine: sa.Engine) -> None:
    pg.psql("CREATE TABLE locked (owner text)", db)
    desired = pgpolicy.Schema.from_json(
        json.dumps(
            {
                "tables": [
                    {
                        "name": "locked",
                        "columns": [{"name": "owner", "type": "text"}],
                        "policies": [{"name": "own", "using": "owner = current_user"}],
                    }
                ]
            }
        )
    )
    holder = sa.create_engine(pg.sqlalchemy_url(db))
    with holder.connect() as conn:
        conn.exec_driver_sql("LOCK TABLE locked IN ACCESS EXCLUSIVE MODE")
        start = time.monotonic()
        with pytest.raises(pgpolicy.DatabaseError, match=r"after 2 attempts \(nothing was applied\)") as info:
            pgpolicy.apply(engine, desired, lock_timeout="200ms", retries=1)
        elapsed = time.monotonic() - start
        conn.rollback()
    holder.dispose()
    assert "lock timeout" in str(info.value) and "another session holds a lock" in str(info.value)
    assert elapsed < 5, elapsed
    assert pgpolicy.introspect(engine).policies == []
    assert pgpolicy.apply(engine, desired, lock_timeout="200ms")
    assert [p["name"] for p in pgpolicy.introspect(engine).policies] == ["own"]


def test_apply_on_a_connection_leaves_the_callers_settings(pg: EmbeddedPostgres, db: str, engine: sa.Engine) -> None:
    pg.psql("CREATE SCHEMA app; CREATE TABLE t (b text)", db)

    def settings(conn: Any) -> Any:
        return conn.exec_driver_sql(
            "SELECT current_setting('search_path'), current_setting('lock_timeout'), "
            "current_setting('statement_timeout'), current_setting('standard_conforming_strings')"
        ).one()

    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL search_path TO app, public")
        conn.exec_driver_sql("SET LOCAL lock_timeout TO '42s'")
        before = settings(conn)
        assert pgpolicy.apply(conn, declaration("b = 'x'"))
        assert settings(conn) == before
        conn.exec_driver_sql("CREATE TABLE later (x int)")  # lands where the caller's path says
    assert pg.psql("SELECT relnamespace::regnamespace FROM pg_class WHERE relname = 'later'", db).strip() == "app"
    assert [p["name"] for p in pgpolicy.introspect(engine).policies] == ["p"]


def test_timeouts_are_durations() -> None:
    from pgpolicy import _native

    t = _native.Timeouts(lock="250ms", statement="2min")
    assert t.pins()[2:] == ["SET LOCAL lock_timeout TO '250ms'", "SET LOCAL statement_timeout TO '120000ms'"]
    import datetime

    assert _native.Timeouts(lock=datetime.timedelta(seconds=3)).lock == datetime.timedelta(seconds=3)
    with pytest.raises(TypeError, match="5s"):
        _native.Timeouts(lock=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lock_timeout: invalid duration"):
        pgpolicy.plan("postgresql://nowhere/x", pgpolicy.Schema.empty(), lock_timeout="5 parsecs")


def test_ops_pin_before_their_statements_with_the_migrations_limits() -> None:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name="postgresql",
        opts={"as_sql": True, "output_buffer": buf, "pgpolicy_lock_timeout": "3s"},
    )
    op: Any = Operations(ctx)
    op.enable_rls("users")
    op.pgpolicy_session(lock_timeout="30s")
    op.enable_rls("users")
    statements = [s.strip() for s in buf.getvalue().split(";") if s.strip()]
    configured, session, own = statements[0:4], statements[5:9], statements[9:13]
    assert configured[2] == "SET LOCAL lock_timeout TO '3000ms'"
    assert statements[4] == statements[13] == "ALTER TABLE public.users ENABLE ROW LEVEL SECURITY"
    assert session == own and session[2] == "SET LOCAL lock_timeout TO '30000ms'"
    assert [s.split(" TO ")[0] for s in own] == [
        "SET LOCAL standard_conforming_strings",
        "SET LOCAL search_path",
        "SET LOCAL lock_timeout",
        "SET LOCAL statement_timeout",
    ]


def test_the_native_module_runs_on_mimalloc_tuned_for_peak_memory() -> None:
    """The extension's allocator is the core's: mimalloc, tuned when the library is
    loaded (it prints its options by name under MIMALLOC_VERBOSE)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, MIMALLOC_VERBOSE="1")
    out = subprocess.run([sys.executable, "-c", "import pgpolicy"], env=env, capture_output=True, text=True, check=True)
    assert "mimalloc: process init" in out.stderr, out.stderr
    assert "option 'arena_eager_commit': 0" in out.stderr
    assert "option 'purge_delay': 0" in out.stderr
