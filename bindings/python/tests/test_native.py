"""The core through pgpolicy._native: Schema, diff and Plan, introspection and apply,
the round trip on a SQLAlchemy connection, HTML, and the stubs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import pgpolicy
from pgpolicy.testing import EmbeddedPostgres

DECL = {
    "tables": [
        {
            "name": "users",
            "columns": [{"name": "tenant_id", "type": "integer", "nullable": False}],
            "policies": [
                {"name": "tenant_isolation", "using": "tenant_id = current_setting('app.current_tenant')::integer"}
            ],
            "rls": {"enabled": True},
        }
    ]
}


def desired() -> pgpolicy.Schema:
    return pgpolicy.Schema.from_json(json.dumps(DECL))


def test_schema_round_trips_through_json_and_sql(tmp_path: Path) -> None:
    s = desired()
    assert pgpolicy.Schema.from_json(s.to_json()) == s
    assert s.to_dict()["tables"][0]["name"] == "users"
    assert repr(s) == "<pgpolicy.Schema: 1 tables, 1 policies, 0 roles, 0 grants>"
    sql = tmp_path / "schema.sql"
    sql.write_text(
        "CREATE TABLE users (tenant_id integer NOT NULL);\n"
        "ALTER TABLE users ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY tenant_isolation ON users USING (tenant_id = current_setting('app.current_tenant')::integer);\n"
    )
    from_file = pgpolicy.Schema.from_sql_file(sql)
    assert from_file == s
    assert pgpolicy.Schema.from_sql(sql.read_text()) == s
    with pytest.raises(pgpolicy.SourceError):
        pgpolicy.Schema.from_sql_file(tmp_path / "missing.sql")


def test_diff_and_plan() -> None:
    plan = pgpolicy.diff(pgpolicy.Schema.empty(), desired())
    assert plan and len(plan) == 2
    assert [c.kind for c in plan.changes] == ["create_policy", "enable_rls"]
    assert plan.statements() == [
        "CREATE POLICY tenant_isolation ON public.users AS PERMISSIVE FOR ALL TO PUBLIC "
        "USING (tenant_id = current_setting('app.current_tenant')::integer)",
        "ALTER TABLE public.users ENABLE ROW LEVEL SECURITY",
    ]
    assert plan.sql().startswith("BEGIN;") and plan.sql().endswith("COMMIT;\n")
    assert "DROP POLICY tenant_isolation ON public.users" in plan.reverse_sql()
    assert plan.reverse().statements()[0] == "ALTER TABLE public.users DISABLE ROW LEVEL SECURITY"
    assert [s.comment for s in plan.steps()] == [
        'Create policy "tenant_isolation" on public.users',
        "Enable row-level security on public.users",
    ]
    assert json.loads(plan.to_json())["reverse_sql"] == plan.reverse_sql()
    assert "CREATE POLICY" in plan._repr_html_()
    empty = pgpolicy.diff(desired(), desired())
    assert not empty and empty.sql() == "" and "no changes" in empty._repr_html_()


def test_change_helpers_round_trip_plan_changes() -> None:
    from pgpolicy import _native

    plan = pgpolicy.diff(pgpolicy.Schema.empty(), desired())
    for change, stmt in zip(plan.changes, plan.statements()):
        assert _native.change_sql(change) == [stmt]
        assert _native.change_sql(_native.change_reverse(_native.change_reverse(change))) == [stmt]


def test_introspect_apply_and_round_trip(pg: EmbeddedPostgres, db: str, engine: sa.Engine) -> None:
    url = pg.url(db)
    pg.psql("CREATE TABLE users (tenant_id integer NOT NULL)", db)
    dry = pgpolicy.apply(url, desired(), dry_run=True)
    assert dry and pgpolicy.introspect(url).policies == []
    assert pgpolicy.apply(url, desired()).statements() == dry.statements()
    stored = pgpolicy.introspect(url)
    assert stored.is_introspected
    assert stored.policies[0]["using"] == "(tenant_id = (current_setting('app.current_tenant'::text))::integer)"
    # From a URL, an Engine, a Connection and a Session: nothing to do.
    assert not pgpolicy.plan(url, desired())
    assert not pgpolicy.plan(engine, desired())
    with engine.connect() as conn:
        assert pgpolicy.introspect(conn) == stored
        assert not pgpolicy.plan(conn, desired())
        assert not pgpolicy.diff(stored, desired(), connection=conn)
        assert (
            conn.execute(sa.text("SELECT count(*) FROM pg_class WHERE relname LIKE 'pgpolicy_compare%'")).scalar() == 0
        )
    with sa.orm.Session(engine) as session:
        assert not pgpolicy.plan(session, desired())
    # Spellings the offline canonicalizer may not settle are settled on the database.
    other = json.loads(json.dumps(DECL))
    other["tables"][0]["policies"][0]["using"] = "tenant_id = CAST(current_setting('app.current_tenant') AS int4)"
    assert not pgpolicy.diff(stored, pgpolicy.Schema.from_json(json.dumps(other)), connection=url)
    assert not pgpolicy.plan(engine, pgpolicy.Schema.from_json(json.dumps(other)))
    # A real change, applied through a Connection.
    other["tables"][0]["policies"][0]["using"] = "tenant_id = 1"
    with engine.begin() as conn:
        plan = pgpolicy.apply(conn, pgpolicy.Schema.from_json(json.dumps(other)))
    assert [c.kind for c in plan.changes] == ["alter_policy"]
    assert pgpolicy.introspect(url).policies[0]["using"] == "(tenant_id = 1)"


def test_database_errors(pg: EmbeddedPostgres) -> None:
    with pytest.raises(pgpolicy.DatabaseError, match="cannot connect"):
        pgpolicy.introspect(pg.url("no_such_database"))
    with pytest.raises(TypeError, match="expected a postgres URL"):
        pgpolicy.introspect(42)


def test_embedded_postgres_stops() -> None:
    from pgpolicy.testing import EmbeddedPostgres as Embedded

    with Embedded() as server:
        assert server.running
        assert server.psql("SELECT 1").strip() == "1"
    assert not server.running
    with pytest.raises(pgpolicy.EmbeddedError, match="stopped"):
        server.url()


def test_stubs_match_the_native_module() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "pgpolicy._native"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_package_type_checks() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--ignore-missing-imports", "--no-incremental", "-p", "pgpolicy"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    )
    assert out.returncode == 0, out.stdout + out.stderr
