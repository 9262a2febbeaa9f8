"""`pgpolicy.lint` and `pgpolicy.explain`: the core's rules and effective predicates for a
declaration, a database by URL, a SQLAlchemy Engine, and a declaration checked against a
database; configuration as a dict or a pgpolicy.toml; the notebook views."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import pgpolicy
from pgpolicy.sqlalchemy import LintAllow, Policy, Role, RowLevelSecurity, declare_roles, schema_from_metadata
from pgpolicy.testing import EmbeddedPostgres

REPO = Path(__file__).resolve().parents[3]
GUIDE = REPO / "tests" / "fixtures" / "practical-guide.sql"


def rules(report: pgpolicy.LintReport) -> set:
    return {(f["rule"], f.get("table") or f.get("object") or f.get("role")) for f in report.findings}


def test_lint_a_declaration_offline() -> None:
    report = pgpolicy.lint(pgpolicy.Schema.from_sql_file(str(GUIDE)))
    found = rules(report)
    assert ("bypassrls_app_role", "app_admin") in found
    assert ("per_row_function_call", "public.posts") in found
    assert "view_bypasses_rls" in report.skipped
    assert report.fails("error") and report.fails()
    assert "error bypassrls_app_role" in report.text()
    sarif = json.loads(report.sarif("schema.sql"))
    assert sarif["version"] == "2.1.0" and len(sarif["runs"][0]["results"]) == len(report)
    assert json.loads(report.to_json())["findings"] == report.findings
    assert "<table" in report._repr_html_()
    # configuration: a dict shaped like [lint], or a pgpolicy.toml
    quiet = pgpolicy.lint(
        pgpolicy.Schema.from_sql_file(str(GUIDE)),
        config={"admin_roles": ["app_admin"], "rules": {"per_row_function_call": "off"}},
    )
    assert not {r for r, _ in rules(quiet)} & {"bypassrls_app_role", "per_row_function_call"}
    with pytest.raises(pgpolicy.SourceError, match="unknown rule"):
        pgpolicy.lint(pgpolicy.Schema.from_sql_file(str(GUIDE)), config={"rules": {"nope": "off"}})
    with pytest.raises(ValueError, match="expected"):
        report.fails("loud")


def test_lint_and_explain_a_database(pg: EmbeddedPostgres, db: str, engine: sa.Engine, tmp_path: Path) -> None:
    user = f"{db}_user"
    pg.psql(
        f"""CREATE ROLE {user} LOGIN;
CREATE TABLE docs (id int PRIMARY KEY, tenant_id int);
CREATE TABLE tenants (id int);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON docs, tenants TO {user};
CREATE POLICY by_tenant ON docs TO {user} USING (tenant_id = current_setting('app.tenant')::int);
INSERT INTO docs VALUES (1, 1), (2, 2);""",
        db,
    )
    url = pg.url(db)
    by_url = pgpolicy.lint(url)
    by_engine = pgpolicy.lint(engine)
    assert by_url.findings == by_engine.findings
    found = rules(by_url)
    assert ("table_without_rls_granted_to_app_role", "public.tenants") in found
    assert ("unindexed_policy_column", "public.docs") in found
    assert by_url.skipped == []
    # a declaration checked against the database: its RLS on tenants, its index-free policy
    toml = tmp_path / "pgpolicy.toml"
    toml.write_text('[lint.rules]\ncurrent_setting_without_missing_ok = "off"\n')
    declared = pgpolicy.Schema.from_sql(
        f"ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;\nCREATE POLICY t ON tenants TO {user} USING (id = (SELECT 1));\n"
    )
    checked = pgpolicy.lint(declared, db=engine, config=toml)
    found = rules(checked)
    assert ("table_without_rls_granted_to_app_role", "public.tenants") not in found
    assert ("unindexed_policy_column", "public.tenants") in found
    assert not any(r == "current_setting_without_missing_ok" for r, _ in found)
    with pytest.raises(TypeError, match="already a database"):
        pgpolicy.lint(engine, db=url)

    # explain: the predicate, and what the role sees with it
    ex = pgpolicy.explain(engine, "docs", role=user, command="select")
    (entry,) = ex.entries
    assert entry["verdict"] == "filtered" and "current_setting" in entry["using"]
    with engine.begin() as conn:
        conn.exec_driver_sql(f"SET LOCAL ROLE {user}")
        conn.exec_driver_sql("SELECT set_config('app.tenant', '1', true)")
        assert conn.exec_driver_sql("SELECT count(*) FROM docs").scalar() == 1
        conn.exec_driver_sql("RESET ROLE")
        expected = conn.exec_driver_sql(f"SELECT count(*) FROM docs WHERE {entry['using']}").scalar()
        assert expected == 1
    matrix = pgpolicy.explain(url, "public.docs")
    assert {e["role"] for e in matrix.entries} == {user, "PUBLIC"}
    html = matrix._repr_html_()
    assert "<table" in html and user in html and "SELECT" in html
    assert "filtered" in matrix.text()
    offline = pgpolicy.explain(declared, "tenants")
    assert offline.owner is None and offline.rls_enabled
    with pytest.raises(pgpolicy.SourceError, match="no table public.nope"):
        pgpolicy.explain(url, "nope")
    with pytest.raises(ValueError, match="expected SELECT"):
        pgpolicy.explain(declared, "tenants", command="ALL")


def test_policy_tests_from_pytest(pg: EmbeddedPostgres, db: str, engine: sa.Engine) -> None:
    """The examples' tenant-isolation cases, through pgpolicy.testing: they pass with RLS
    on, fail (naming the cases) with it off, and leave the rows as they were."""
    from pgpolicy.testing import assert_policy_tests, run_policy_tests

    examples = REPO / "examples" / "policy-tests"
    pg.psql((examples / "tables.sql").read_text().replace("app_user", f"{db}_app"), db)
    cases = (examples / "tenant-isolation.toml").read_text().replace("app_user", f"{db}_app")
    pg.psql(
        "CREATE POLICY tenant_isolation ON users USING (tenant_id = current_setting('app.current_tenant')::integer)", db
    )
    outcomes = run_policy_tests(cases, engine)
    failed = {o["name"] for o in outcomes if not o["passed"]}
    assert "tenant 1 sees only its users" in failed
    assert "tenant 1 cannot insert a user into tenant 2" in failed
    with pytest.raises(AssertionError, match="tenant 1 sees only its users"):
        assert_policy_tests(cases, pg.url(db))
    pg.psql("ALTER TABLE users ENABLE ROW LEVEL SECURITY", db)
    assert_policy_tests(cases, engine)
    assert_policy_tests(cases, pg.url(db))
    assert pg.psql("SELECT string_agg(name, ',' ORDER BY name) FROM users", db).strip() == "Jane Smith,John Doe"
    with pytest.raises(pgpolicy.SourceError, match="exactly one of select"):
        run_policy_tests('[[test]]\nname = "x"\nselect = "a"\ndelete = "a"\ncount = 1\n', engine)


def test_inline_opt_out_on_models() -> None:
    """`LintAllow(...)` in a table's `__table_args__` and `Policy(lint_allow=...)`: the
    core does not report those rules there; an unknown rule id is the core's validation
    error naming the table, the policy and the clause."""

    def models(allow: bool, ids: tuple = ("permissive_true_for_write",)) -> sa.MetaData:
        class Base(DeclarativeBase):
            pass

        declare_roles(Base.metadata, Role("app_user"))

        class Item(Base):
            __tablename__ = "items"
            __table_args__ = (
                Policy("anyone", command="UPDATE", roles="app_user", using="true", lint_allow=ids if allow else ()),
            )
            id: Mapped[int] = mapped_column(primary_key=True)

        class Audit(Base):
            __tablename__ = "audit"
            __table_args__ = ((LintAllow("rls_enabled_no_policy"),) if allow else ()) + (RowLevelSecurity(),)
            id: Mapped[int] = mapped_column(primary_key=True)

        return Base.metadata

    found = rules(pgpolicy.lint(schema_from_metadata(models(False))))
    assert ("permissive_true_for_write", "public.items") in found
    assert ("rls_enabled_no_policy", "public.audit") in found
    found = rules(pgpolicy.lint(schema_from_metadata(models(True))))
    assert ("permissive_true_for_write", "public.items") not in found
    assert ("rls_enabled_no_policy", "public.audit") not in found
    # the plan is the models' either way
    assert (
        pgpolicy.diff(pgpolicy.Schema.empty(), schema_from_metadata(models(True))).sql()
        == pgpolicy.diff(pgpolicy.Schema.empty(), schema_from_metadata(models(False))).sql()
    )
    with pytest.raises(pgpolicy.ValidationError) as e:
        schema_from_metadata(models(True, ("permisive_true_for_write",)))
    assert (e.value.table, e.value.policy, e.value.code) == ("public.items", "anyone", "UNKNOWN_LINT_RULE")
    assert "permisive_true_for_write" in str(e.value)
