"""Invalid declarations raise pgpolicy.ValidationError naming the table, the policy and
the clause, at the latest when the metadata is read; each case with its message."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

import pgpolicy
from pgpolicy.sqlalchemy import Grant, Policy, Role, RowLevelSecurity, schema_from_metadata


def table(*items: Any, name: str = "docs") -> sa.Table:
    return sa.Table(
        name, sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("owner", sa.Text), *items
    )


CASES = [
    (
        [Policy("p", command="INSERT", using="true")],
        "INSERT_WITH_USING",
        "p",
        "USING",
        'table public.docs, policy "p", clause USING: an INSERT policy takes only WITH CHECK, not USING',
    ),
    (
        [Policy("p", command="SELECT", with_check="true")],
        "SELECT_WITH_CHECK",
        "p",
        "WITH_CHECK",
        'table public.docs, policy "p", clause WITH CHECK: a SELECT policy takes only USING, not WITH CHECK',
    ),
    (
        [Policy("p", command="DELETE", with_check="true")],
        "DELETE_WITH_CHECK",
        "p",
        "WITH_CHECK",
        'table public.docs, policy "p", clause WITH CHECK: a DELETE policy takes only USING, not WITH CHECK',
    ),
    (
        [Policy("p", using="true); DROP TABLE docs; --")],
        "INVALID_EXPRESSION",
        "p",
        "USING",
        'table public.docs, policy "p", clause USING: must be exactly one SQL expression, but text follows it at )',
    ),
    (
        [Policy("p", using="true"), Policy("p", using="false")],
        "DUPLICATE_POLICY",
        "p",
        "NAME",
        'table public.docs, policy "p", clause name: policy names must be unique per table; this name is used twice',
    ),
    (
        [Policy("p" * 64, using="true")],
        "IDENTIFIER_TOO_LONG",
        "p" * 64,
        "NAME",
        f'table public.docs, policy "{"p" * 64}", clause name: policy name "{"p" * 64}" is 64 bytes long; '
        "PostgreSQL identifiers are at most 63 bytes",
    ),
    (
        [Policy("p", roles=["PUBLIC", "app"], using="true")],
        "PUBLIC_WITH_ROLES",
        "p",
        "ROLES",
        'table public.docs, policy "p", clause roles: PUBLIC already includes every role; list it alone',
    ),
    (
        [RowLevelSecurity(enabled=False), Policy("p", using="owner = current_user")],
        "POLICY_WITH_RLS_OFF",
        "p",
        "TABLE",
        'table public.docs, policy "p", clause table: row-level security is declared off on this table, so the '
        "policy would never apply; declare RLS on or remove the policy",
    ),
    (
        [Policy("p", using="")],
        "INVALID_EXPRESSION",
        "p",
        "USING",
        'table public.docs, policy "p", clause USING: the expression is empty',
    ),
    (
        [Policy("", using="true")],
        "EMPTY_NAME",
        "",
        "NAME",
        'table public.docs, policy "", clause name: the policy name is empty',
    ),
]


@pytest.mark.parametrize("items,code,policy,clause,message", CASES, ids=[c[1] for c in CASES])
def test_declaration_errors(items: list, code: str, policy: str, clause: str, message: str) -> None:
    with pytest.raises(pgpolicy.ValidationError) as info:
        table(*items)
    err = info.value
    assert str(err) == message
    assert (err.code, err.table, err.policy, err.clause) == (code, "public.docs", policy, clause)
    assert err.errors[0]["code"] == code
    assert isinstance(err, pgpolicy.Error)


def test_unknown_command() -> None:
    with pytest.raises(pgpolicy.ValidationError) as info:
        table(Policy("p", command="UPSERT", using="true"))
    assert info.value.table == "public.docs" and info.value.policy == "p"
    assert "UPSERT" in str(info.value)
    assert str(info.value).startswith('table public.docs, policy "p"')


def test_unknown_role_when_roles_are_declared() -> None:
    md = sa.MetaData()
    sa.Table("docs", md, sa.Column("id", sa.Integer), Role("app"), Policy("p", roles=["ghost"], using="true"))
    with pytest.raises(pgpolicy.ValidationError) as info:
        schema_from_metadata(md)
    assert (
        str(info.value) == 'table public.docs, policy "p", clause roles: role "ghost" is not among the declared roles'
    )
    assert info.value.code == "UNKNOWN_ROLE"


def test_grant_to_unknown_role() -> None:
    md = sa.MetaData()
    sa.Table("docs", md, sa.Column("id", sa.Integer), Role("app"), Grant("ghost", "SELECT"))
    with pytest.raises(pgpolicy.ValidationError) as info:
        schema_from_metadata(md)
    assert (
        str(info.value)
        == 'table public.docs, clause grant: grant to role "ghost", which is not among the declared roles'
    )


def test_expression_errors_are_reported_when_the_metadata_is_read() -> None:
    md = sa.MetaData()
    t = sa.Table("docs", md, sa.Column("id", sa.Integer), sa.Column("owner", sa.Text))
    # A SQLAlchemy expression is compiled when the metadata is read, so the INSERT +
    # USING error is found at once, and a bad expression on reading.
    with pytest.raises(pgpolicy.ValidationError, match="an INSERT policy takes only WITH CHECK"):
        sa.Table("docs", md, Policy("p", command="INSERT", using=t.c.owner == "x"), extend_existing=True)
    md2 = sa.MetaData()
    sa.Table("docs", md2, sa.Column("id", sa.Integer), Policy("p", using=lambda: 42))
    with pytest.raises(pgpolicy.ValidationError) as info:
        schema_from_metadata(md2)
    assert (
        str(info.value)
        == 'table public.docs, policy "p", clause USING: expected SQL text or a SQLAlchemy expression, got int'
    )


def test_every_error_is_listed() -> None:
    policies = [
        {"name": "a", "command": "INSERT", "using": "true"},
        {"name": "b", "command": "SELECT", "with_check": "(x = 1"},
    ]
    with pytest.raises(pgpolicy.ValidationError) as info:
        pgpolicy.Schema.from_json(json.dumps({"tables": [{"name": "docs", "policies": policies}]}))
    assert [e["code"] for e in info.value.errors] == ["INSERT_WITH_USING", "SELECT_WITH_CHECK", "INVALID_EXPRESSION"]
    assert str(info.value).count("\n") == 2


def test_json_source_errors() -> None:
    with pytest.raises(pgpolicy.SourceError, match="invalid schema JSON"):
        pgpolicy.Schema.from_json("{")
    with pytest.raises(pgpolicy.ValidationError) as info:
        pgpolicy.Schema.from_json(
            '{"tables": [{"name": "t", "policies": [{"name": "p", "command": "INSERT", "using": "true"}]}]}'
        )
    assert info.value.errors == [
        {
            "code": "INSERT_WITH_USING",
            "table": "public.t",
            "policy": "p",
            "clause": "USING",
            "message": "an INSERT policy takes only WITH CHECK, not USING",
        }
    ]
