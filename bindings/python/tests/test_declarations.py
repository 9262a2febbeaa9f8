"""Policies beside models: __table_args__ and Core Table, SQLAlchemy expressions,
schema_from_metadata, create_all / drop_all, and SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import pgpolicy
import pgpolicy.sqlalchemy as decl
from pgpolicy.sqlalchemy import Grant, Policy, Role, RowLevelSecurity, schema_from_metadata
from pgpolicy.testing import EmbeddedPostgres


def test_table_args_and_core_table() -> None:
    class Base(DeclarativeBase):
        pass

    class Doc(Base):
        __tablename__ = "docs"
        __table_args__ = (
            Policy("read", command="SELECT", using="owner = current_user", roles="app"),
            RowLevelSecurity(force=True),
            {"schema": "app"},
        )
        id: Mapped[int] = mapped_column(primary_key=True)
        owner: Mapped[str]

    sa.Table("notes", Base.metadata, sa.Column("id", sa.Integer), Policy("all", using="true"))
    sa.Table("plain", Base.metadata, sa.Column("id", sa.Integer))
    schema = schema_from_metadata(Base.metadata)
    tables = {(t["schema"], t["name"]): t for t in schema.tables}
    docs = tables[("app", "docs")]
    assert docs["rls"] == {"enabled": True, "forced": True}
    assert docs["columns"] == [
        {"name": "id", "type": "INTEGER", "nullable": False},
        {"name": "owner", "type": "VARCHAR", "nullable": False},
    ]
    assert docs["policies"][0] == {
        "name": "read",
        "command": "SELECT",
        "permissive": True,
        "roles": ["app"],
        "using": "owner = current_user",
        "with_check": None,
    }
    assert tables[("public", "notes")]["rls"]["enabled"] is True  # a policy implies RLS
    # No declaration: the flag is left as the database has it, never turned off implicitly.
    assert tables[("public", "plain")]["rls"]["enabled"] is None


def test_sqlalchemy_expressions() -> None:
    md = sa.MetaData()
    users = sa.Table(
        "users", md, sa.Column("id", sa.Integer), sa.Column("tenant_id", sa.Integer), sa.Column("Kind", sa.Text)
    )
    members = sa.Table("members", md, sa.Column("user_id", sa.Integer), sa.Column("team", sa.Text))
    sa.Table(
        "users",
        md,
        Policy("tenant", using=users.c.tenant_id == sa.cast(func.current_setting("app.current_tenant"), sa.Integer)),
        Policy("kinds", command="SELECT", using=users.c.Kind.in_(["a", "b'c"])),
        Policy(
            "member",
            command="SELECT",
            using=lambda: users.c.id.in_(sa.select(members.c.user_id).where(members.c.team == "x")),
        ),
        Policy("text", command="SELECT", using=sa.text("true")),
        extend_existing=True,
    )
    got = {p["name"]: p["using"] for p in schema_from_metadata(md).policies}
    assert got == {
        "tenant": "tenant_id = CAST(current_setting('app.current_tenant') AS INTEGER)",
        "kinds": "\"Kind\" IN ('a', 'b''c')",
        "member": "id IN (SELECT members.user_id \nFROM members \nWHERE members.team = 'x')",
        "text": "true",
    }


def test_roles_grants_and_html() -> None:
    md = sa.MetaData()
    sa.Table(
        "t",
        md,
        sa.Column("id", sa.Integer),
        Role("app", login=True),
        Grant("app", ["SELECT"]),
        Policy("p", roles=["app"], using="true"),
    )
    schema = schema_from_metadata(md)
    assert schema.roles == [{"name": "app", "login": True, "inherit": True, "bypassrls": False, "member_of": []}]
    assert schema.grants == [{"schema": "public", "table": "t", "role": "app", "privileges": ["SELECT"]}]
    html = schema._repr_html_()
    assert "<table" in html and "public.t" in html and "Roles: app" in html
    # A policy implies RLS on; FORCE is not declared (null): left as the database has it.
    assert schema.tables[0]["rls"] == {"enabled": True, "forced": None}
    assert ">enabled<" in html
    undeclared = pgpolicy.Schema.from_json('{"tables": [{"name": "u", "rls": {"forced": false}}]}')
    assert undeclared.tables[0]["rls"] == {"enabled": None, "forced": False}
    assert ">as is, not forced<" in undeclared._repr_html_()


def test_create_all_and_drop_all(pg: EmbeddedPostgres, db: str, engine: sa.Engine) -> None:
    role = f"app_{db}"
    md = sa.MetaData()
    sa.Table(
        "docs",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner", sa.Text),
        Role(role),
        Grant(role, ["SELECT"]),
        Policy("own", roles=[role], using="owner = current_user"),
        RowLevelSecurity(force=True),
    )
    sa.Table("plain", md, sa.Column("id", sa.Integer))
    md.create_all(engine)
    current = pgpolicy.introspect(engine)
    docs = [t for t in current.tables if t["name"] == "docs"][0]
    assert docs["rls"] == {"enabled": True, "forced": True}
    assert [p["name"] for p in docs["policies"]] == ["own"]
    assert any(g["role"] == role for g in current.grants)
    assert not pgpolicy.plan(engine, schema_from_metadata(md))
    md.create_all(engine)  # checkfirst: nothing to do, no error
    md.drop_all(engine)
    assert pgpolicy.introspect(engine).tables == []


def test_create_all_creates_every_table_before_any_policy(pg: EmbeddedPostgres, db: str, engine: sa.Engine) -> None:
    # Document's policy names memberships, which references documents and so is created
    # after it: the policy can only be created once both tables exist.
    class Base(DeclarativeBase):
        pass

    class Document(Base):
        __tablename__ = "documents"
        id: Mapped[int] = mapped_column(primary_key=True)
        __table_args__ = (
            Policy(
                "members",
                using=lambda: sa.exists(sa.select(Membership.id).where(Membership.document_id == Document.id)),
            ),
        )

    class Membership(Base):
        __tablename__ = "memberships"
        id: Mapped[int] = mapped_column(primary_key=True)
        document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id"))
        __table_args__ = (Policy("own", using="id > 0"),)

    Base.metadata.create_all(engine)
    current = {p["name"]: p for p in pgpolicy.introspect(engine).policies}
    assert set(current) == {"members", "own"}
    assert "memberships.document_id = documents.id" in current["members"]["using"]
    assert not pgpolicy.plan(engine, schema_from_metadata(Base.metadata))
    # A table created on its own still gets its RLS as it is created.
    notes = sa.Table("notes", Base.metadata, sa.Column("id", sa.Integer), Policy("mine", using="id > 0"))
    notes.create(engine)
    assert {p["name"] for p in pgpolicy.introspect(engine).policies} == {"members", "own", "mine"}


def test_sqlite_skips_rls_with_one_warning(tmp_path: Path) -> None:
    decl._warned = False
    md = sa.MetaData()
    sa.Table("a", md, sa.Column("id", sa.Integer), Policy("p", using="true"))
    sa.Table("b", md, sa.Column("id", sa.Integer), RowLevelSecurity())
    eng = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.warns(pgpolicy.RlsSkippedWarning, match="row-level security skipped on sqlite") as record:
        md.create_all(eng)
        md.drop_all(eng)
        md.create_all(eng)
    assert len(record) == 1
    md.drop_all(eng)
    eng.dispose()


def test_schema_json_is_schema_dict_as_text() -> None:
    """The declaration as JSON text, written table by table (what autogenerate reads),
    is `schema_dict` exactly: tables, grants, roles, default privileges and functions,
    over several MetaData, with the filter and the extra tables."""
    import json

    def model(prefix: str) -> sa.MetaData:
        md = sa.MetaData()
        sa.Table(
            f"{prefix}_t",
            md,
            sa.Column("id", sa.Integer),
            sa.Column("owner", sa.Text, nullable=False),
            Role(f"{prefix}_app", login=True),
            Grant(f"{prefix}_app", ["SELECT", "UPDATE"]),
            Policy("p", roles=[f"{prefix}_app"], using="owner = current_user", with_check="owner <> ''"),
        )
        sa.Table(f"{prefix}_plain", md, sa.Column("id", sa.Integer), schema="other")
        decl.declare_default_privileges(md, decl.DefaultPrivileges(f"{prefix}_app", ["SELECT"], schema="other"))
        decl.declare_functions(md, decl.Function(f"{prefix}_uid", returns="int", body="SELECT 1", volatility="STABLE"))
        return md

    one, two = model("a"), model("b")
    assert json.loads(decl.schema_json(one)) == decl.schema_dict(one)
    keep = lambda t: t.schema is None  # noqa: E731
    extra = [{"schema": "public", "name": "gone", "rls": {"enabled": False, "forced": False}, "policies": []}]
    both = json.loads(decl.schema_json([one, two], include_table=keep, extra_tables=extra))
    a, b = decl.schema_dict(one, include_table=keep), decl.schema_dict(two, include_table=keep)
    assert both == {
        "tables": a["tables"] + b["tables"] + extra,
        "grants": a["grants"] + b["grants"],
        "roles": a["roles"] + b["roles"],
        "default_privileges": a["default_privileges"] + b["default_privileges"],
        "functions": a["functions"] + b["functions"],
    }
    assert [t["name"] for t in both["tables"]] == ["a_t", "b_t", "gone"]
    assert json.loads(decl.schema_json(sa.MetaData())) == {"tables": [], "grants": []}
