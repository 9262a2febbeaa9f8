"""SQLAlchemy expressions compile to what was meant: the policy table's own columns are
qualified inside sub-selects, verified against the text PostgreSQL stores."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import exists, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import pgpolicy
from pgpolicy.sqlalchemy import Policy, schema_from_metadata
from pgpolicy.testing import EmbeddedPostgres

STORED = sa.text("SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polname = :name")
TABLES = """
CREATE TABLE documents (id int PRIMARY KEY, tenant_id int NOT NULL);
CREATE TABLE memberships (id int PRIMARY KEY, document_id int NOT NULL);
"""


class Base(DeclarativeBase):
    pass


class Membership(Base):
    __tablename__ = "memberships"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int]


class Document(Base):
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int]
    __table_args__ = (
        Policy(
            "members",
            using=lambda: sa.and_(
                Document.tenant_id == 1,
                exists(select(Membership.id).where(Membership.document_id == Document.id)),
            ),
        ),
        Policy(
            "in_list",
            using=lambda: Document.id.in_(select(Membership.document_id).where(Membership.id == Document.tenant_id)),
        ),
    )


def declared(name: str) -> str:
    for t in schema_from_metadata(Base.metadata).to_dict()["tables"]:
        for p in t["policies"]:
            if p["name"] == name:
                return str(p["using"])
    raise KeyError(name)


def test_the_unqualified_form_means_something_else(pg: EmbeddedPostgres, db: str, engine: sa.Engine) -> None:
    # What the own-table column used to be rendered as inside the sub-select: PostgreSQL
    # binds `id` to the sub-select's own table.
    pg.psql(
        TABLES + "CREATE POLICY old ON documents USING "
        "(EXISTS (SELECT memberships.id FROM memberships WHERE memberships.document_id = id))",
        db,
    )
    with engine.connect() as conn:
        stored = conn.execute(STORED, {"name": "old"}).scalar()
    assert "memberships.document_id = memberships.id" in stored


def test_own_columns_are_qualified_inside_sub_selects(pg: EmbeddedPostgres, db: str, engine: sa.Engine) -> None:
    text = declared("members")
    assert text.startswith("tenant_id = 1 AND (EXISTS (SELECT memberships.id"), text
    assert "memberships.document_id = documents.id" in text
    assert "FROM memberships \nWHERE" in text or "FROM memberships WHERE" in " ".join(text.split())
    assert "documents," not in text and ", documents" not in text  # correlated, not joined
    pg.psql(TABLES, db)
    with engine.begin() as conn:
        pgpolicy.apply(conn, schema_from_metadata(Base.metadata))
    with engine.connect() as conn:
        members = conn.execute(STORED, {"name": "members"}).scalar()
        in_list = conn.execute(STORED, {"name": "in_list"}).scalar()
    assert "memberships.document_id = documents.id" in members, members
    assert "memberships.id = documents.tenant_id" in in_list, in_list
    # The declaration and the database agree (no drift).
    with engine.connect() as conn:
        assert not pgpolicy.plan(conn, schema_from_metadata(Base.metadata))


def test_unknown_columns_are_refused_with_a_suggestion() -> None:
    import pytest

    # Checked when the metadata is read (when a policy is attached, the model may not have
    # all its columns yet).
    md = sa.MetaData()
    sa.Table(
        "accounts",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant_id", sa.Integer),
        Policy("tenant", using="tenant_idd = current_setting('app.tenant')::integer"),
    )
    with pytest.raises(pgpolicy.ValidationError) as e:
        schema_from_metadata(md)
    assert e.value.code == "UNKNOWN_COLUMN"
    assert e.value.clause == "USING" and e.value.policy == "tenant"
    assert "did you mean tenant_id?" in str(e.value)
    md = sa.MetaData()
    sa.Table(
        "accounts",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ownerId", sa.Integer),
        Policy("owner", using=lambda: sa.text("ownerId = 1")),
    )
    with pytest.raises(pgpolicy.ValidationError) as e:
        schema_from_metadata(md)
    assert e.value.code == "UNKNOWN_COLUMN"
    assert 'did you mean "ownerId"?' in str(e.value) and "double quotes" in str(e.value)
