"""The core's typed values cross the boundary: `Plan.changes` and `Plan.steps()` are
`pgpolicy.Change` / `pgpolicy.Step` objects whose SQL, reverse, description and weakening
are the core's, typed in the stubs; Alembic ops hold a core `Change`; errors use the core's
spelling of clauses; the schemas a plan introspects are the core's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import pgpolicy
import pgpolicy.alembic as pa

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


def plan() -> pgpolicy.Plan:
    return pgpolicy.diff(pgpolicy.Schema.empty(), pgpolicy.Schema.from_json(json.dumps(DECL)))


def test_plan_changes_are_core_change_objects() -> None:
    p = plan()
    create, enable = p.changes
    assert isinstance(create, pgpolicy.Change) and isinstance(enable, pgpolicy.Change)
    assert (create.kind, enable.kind) == ("create_policy", "enable_rls")
    assert create.table == {"schema": "public", "name": "users"}
    assert create.policy["name"] == "tenant_isolation" and create.role is None and create.from_ is None
    assert create.sql() + enable.sql() == p.statements()
    assert create.describe() == 'Create policy "tenant_isolation" on public.users'
    assert create.weakens is None
    assert enable.reverse().kind == "disable_rls"
    assert enable.reverse().weakens == "turns row-level security off on public.users"
    assert create.phase < enable.phase  # policies exist before RLS is turned on
    # Round trips through the core's serde form; equality is the core's.
    assert pgpolicy.Change.from_dict(create.to_dict()) == create
    assert pgpolicy.Change.from_json(create.to_json()) == create
    assert create != enable and create.reverse().reverse() == create
    assert repr(enable) == "<pgpolicy.Change enable_rls: Enable row-level security on public.users>"
    with pytest.raises(pgpolicy.SourceError, match="not a change"):
        pgpolicy.Change.from_dict({"kind": "enable_rls"})


def test_steps_are_objects() -> None:
    p = plan()
    steps = p.steps()
    assert [type(s) for s in steps] == [pgpolicy.Step, pgpolicy.Step]
    assert [s.change for s in steps] == p.changes
    assert steps[0].description == steps[0].comment == 'Create policy "tenant_isolation" on public.users'
    assert [s.phase for s in steps] == [c.phase for c in p.changes]
    assert steps[1].sql == ["ALTER TABLE public.users ENABLE ROW LEVEL SECURITY"]
    assert steps[1].reverse == ["ALTER TABLE public.users DISABLE ROW LEVEL SECURITY"]
    assert [s.weakens for s in p.reverse().steps()] == ["turns row-level security off on public.users", None]
    assert steps[0].to_dict()["change"]["kind"] == "create_policy"
    assert steps[0].to_dict()["description"] == steps[0].description


def test_dict_access_still_answers_with_a_deprecation_warning() -> None:
    change, step = plan().changes[0], plan().steps()[0]
    with pytest.warns(DeprecationWarning, match="change.kind"):
        assert change["kind"] == "create_policy"
    with pytest.warns(DeprecationWarning, match="step.comment"):
        assert step["comment"] == change.describe()
    with pytest.warns(DeprecationWarning), pytest.raises(KeyError):
        change["nope"]


def test_the_stubs_type_change_and_step(tmp_path: Path) -> None:
    usage = tmp_path / "usage.py"
    usage.write_text(
        "from typing import List, Optional\n"
        "import pgpolicy\n"
        "plan = pgpolicy.diff(pgpolicy.Schema.empty(), pgpolicy.Schema.empty())\n"
        "for c in plan.changes:\n"
        "    kind: str = c.kind\n"
        "    sql: List[str] = c.sql()\n"
        "    back: pgpolicy.Change = c.reverse()\n"
        "    why: Optional[str] = c.weakens\n"
        "    table = c.table\n"
        "    name: str = table['name'] if table is not None else ''\n"
        "for s in plan.steps():\n"
        "    first: pgpolicy.Change = s.change\n"
        "    bad: int = s.comment\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--strict", str(usage)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    )
    # Exactly the one wrong line is reported: the rest is typed and correct.
    errors = [line for line in out.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and "usage.py:13:" in errors[0], out.stdout + out.stderr
    assert 'expression has type "str", variable has type "int"' in errors[0]


# --- Alembic ops hold a core Change --------------------------------------------------------


def test_ops_hold_the_core_change_and_take_everything_from_it() -> None:
    op = pa.CreatePolicyOp("p", "docs", using="owner = current_user", command="SELECT", roles=["app"])
    (change,) = op.changes
    assert isinstance(change, pgpolicy.Change) and change.kind == "create_policy"
    assert op.statements() == change.sql()
    assert op.reverse().changes == [change.reverse()]
    assert repr(op) == "op.create_policy('p', 'docs', command='SELECT', roles=['app'], using='owner = current_user')"
    assert (
        repr(op.reverse())
        == "op.drop_policy('p', 'docs', command='SELECT', roles=['app'], using='owner = current_user')"
    )
    # Undoing an added clause is the core's replacement (ALTER POLICY cannot remove one),
    # written as the readable drop and create.
    added = pa.AlterPolicyOp("p", "docs", using="true")
    assert [c.kind for c in added.reverse().changes] == ["replace_policy"]
    assert added.reverse().changes == [added.changes[0].reverse()]
    assert [name for name, _, _ in added.reverse().calls()] == ["drop_policy", "create_policy"]
    # Every plan change is written as calls that build the same change again.
    for c in plan().changes + plan().reverse().changes:
        (name, args, kw), *_ = pa.ChangeOp([c]).calls()
        cls = next(k for k in vars(pa).values() if getattr(k, "op_name", None) == name)
        assert cls(*args, **kw).changes == [c]


# --- Errors: the core's fields and spelling ------------------------------------------------


def test_validation_errors_use_the_core_spelling_of_clauses() -> None:
    policies = [{"name": "b", "command": "SELECT", "with_check": "true"}]
    with pytest.raises(pgpolicy.ValidationError) as info:
        pgpolicy.Schema.from_json(json.dumps({"tables": [{"name": "docs", "policies": policies}]}))
    err = info.value
    assert (err.code, err.table, err.policy, err.clause) == ("SELECT_WITH_CHECK", "public.docs", "b", "WITH_CHECK")
    assert err.errors[0]["clause"] == "WITH_CHECK"
    # The message is the core's.
    assert (
        str(err) == 'table public.docs, policy "b", clause WITH CHECK: a SELECT policy takes only USING, not WITH CHECK'
    )


def test_schemas_a_plan_reads_are_the_cores(pg: object, db: str) -> None:
    from pgpolicy.testing import EmbeddedPostgres

    assert isinstance(pg, EmbeddedPostgres)
    role = f"reader_{db}"
    pg.psql(f"CREATE SCHEMA other; CREATE TABLE other.t (id int); CREATE ROLE {role}", db)
    grant = {"schema": "other", "table": "t", "role": role, "privileges": ["SELECT"]}
    desired = pgpolicy.Schema.from_json(json.dumps({"grants": [grant]}))
    assert desired.schema_names() == ["other"]
    url = pg.url(db)
    assert [c.kind for c in pgpolicy.apply(url, desired).changes] == ["grant"]
    # The grant's schema is read: nothing left to do.
    assert not pgpolicy.plan(url, desired)


def test_every_core_error_has_the_fields(pg: object, tmp_path: Path) -> None:
    from pgpolicy.testing import EmbeddedPostgres

    assert isinstance(pg, EmbeddedPostgres)
    with pytest.raises(pgpolicy.DatabaseError) as db_err:
        pgpolicy.introspect(pg.url("no_such_database"))
    with pytest.raises(pgpolicy.SourceError) as source_err:
        pgpolicy.Schema.from_sql_file(tmp_path / "missing.sql")
    for err, code in ((db_err.value, "DATABASE"), (source_err.value, "SOURCE")):
        assert (err.code, err.table, err.policy, err.clause, err.errors) == (code, None, None, None, [])


def test_an_expression_the_package_cannot_compile_is_the_cores_error() -> None:
    import sqlalchemy as sa

    from pgpolicy.sqlalchemy import Policy, schema_from_metadata

    md = sa.MetaData()
    sa.Table("docs", md, sa.Column("id", sa.Integer), Policy("p", command="UPDATE", with_check=lambda: 42))
    with pytest.raises(pgpolicy.ValidationError) as info:
        schema_from_metadata(md)
    err = info.value
    assert (err.code, err.table, err.policy, err.clause) == ("INVALID_EXPRESSION", "public.docs", "p", "WITH_CHECK")
    assert err.errors == [
        {
            "code": "INVALID_EXPRESSION",
            "table": "public.docs",
            "policy": "p",
            "clause": "WITH_CHECK",
            "message": "expected SQL text or a SQLAlchemy expression, got int",
        }
    ]
    assert str(err) == (
        'table public.docs, policy "p", clause WITH CHECK: expected SQL text or a SQLAlchemy expression, got int'
    )
