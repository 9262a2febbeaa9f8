"""Alembic autogenerate for RLS. ``import pgpolicy.alembic`` in ``env.py`` registers:

- a schema comparator: introspects through the autogenerate connection, diffs against
  ``schema_from_metadata(target_metadata)`` (undecided expressions compared by PostgreSQL
  itself, in a savepoint that is rolled back) and turns each change into an op;
- ops, each with its reverse: ``op.enable_rls``, ``op.disable_rls``, ``op.force_rls``,
  ``op.no_force_rls``, ``op.create_policy``, ``op.alter_policy``, ``op.drop_policy``,
  ``op.rename_policy``, ``op.comment_on_policy``, ``op.create_role``, ``op.alter_role``,
  ``op.drop_role``, ``op.grant_role``, ``op.revoke_role``, ``op.grant_privileges``,
  ``op.revoke_privileges``;
- ``op.pgpolicy_session()``, which autogenerate writes first in ``upgrade()`` and in
  ``downgrade()`` of a revision with RLS ops: it pins the migration's transaction (the
  core's ``SET LOCAL`` statements: ``standard_conforming_strings``, ``search_path``,
  ``lock_timeout``, ``statement_timeout``), so that the whole migration waits for a lock
  at most ``lock_timeout``;
- renderers that write those calls into the migration file (a ``# WEAKENS: ...`` line
  above an op that weakens protection), and implementations that run the core's SQL
  (online, or printed with ``--sql``), each after the core's pinned settings.

Time limits come from ``context.configure(..., pgpolicy_lock_timeout="5s",
pgpolicy_statement_timeout="5min")`` in ``env.py`` (durations as PostgreSQL writes them,
or ``datetime.timedelta``), or from ``op.pgpolicy_session(lock_timeout=...)`` in one
migration; the defaults are the core's (5 s and 5 min).
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from alembic.autogenerate import comparators, renderers
from alembic.operations import MigrateOperation, Operations
from alembic.operations import ops as alembic_ops

from pgpolicy import _db, _native
from pgpolicy._native import Schema
from pgpolicy.sqlalchemy import schema_dict, warn_skipped

__all__ = [
    "PgpolicySessionOp",
    "AlterPolicyOp",
    "AlterRoleOp",
    "CommentOnPolicyOp",
    "CreatePolicyOp",
    "CreateRoleOp",
    "DisableRlsOp",
    "DropPolicyOp",
    "DropRoleOp",
    "EnableRlsOp",
    "ForceRlsOp",
    "GrantPrivilegesOp",
    "GrantRoleOp",
    "NoForceRlsOp",
    "RenamePolicyOp",
    "RevokePrivilegesOp",
    "RevokeRoleOp",
]


def _table(table_name: str, schema: Optional[str]) -> Dict[str, str]:
    return {"schema": schema or "public", "name": table_name}


def _schema_arg(schema: str) -> Optional[str]:
    return None if schema == "public" else schema


class _RlsOp(MigrateOperation):
    """An op that is one or more core changes."""

    #: the name under ``op.``; set by each subclass
    op_name = ""

    def changes(self) -> List[Dict[str, Any]]:
        raise NotImplementedError

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        raise NotImplementedError

    def statements(self) -> List[str]:
        out: List[str] = []
        for c in self.changes():
            out.extend(_native.change_sql(c))
        return out

    def describe(self) -> str:
        return "; ".join(_native.change_describe(c) for c in self.changes())

    def weakens(self) -> List[str]:
        """Why the op weakens protection (the core's words), one entry per change that does."""
        return [w for w in (_native.change_weakens(c) for c in self.changes()) if w is not None]

    def to_diff_tuple(self) -> Tuple[Any, ...]:
        args, kw = self.render_args()
        return (self.op_name, *args, tuple(sorted(kw.items(), key=lambda i: i[0])))

    def __repr__(self) -> str:
        return _render_call(self)


def _register(cls: Any) -> Any:
    """Registers `op.<op_name>` (a classmethod building the op from its arguments) and
    the implementation that runs the op's SQL."""

    def invoke(cls: Any, operations: Operations, *args: Any, **kw: Any) -> Any:
        return operations.invoke(cls(*args, **kw))

    invoke.__name__ = cls.op_name
    invoke.__doc__ = cls.__doc__
    setattr(cls, cls.op_name, classmethod(invoke))
    Operations.register_operation(cls.op_name)(cls)
    Operations.implementation_for(cls)(_run_op)
    renderers.dispatch_for(cls)(_render_op)
    return cls


def _configured_timeouts(operations: Operations, lock: Any = None, statement: Any = None) -> _native.Timeouts:
    """The time limits for this migration: the op's own, else ``pgpolicy_lock_timeout`` /
    ``pgpolicy_statement_timeout`` given to ``context.configure``, else the core's."""
    opts = getattr(operations.migration_context, "opts", {}) or {}
    return _db.timeouts(
        lock if lock is not None else opts.get("pgpolicy_lock_timeout"),
        statement if statement is not None else opts.get("pgpolicy_statement_timeout"),
    )


def _execute(operations: Operations, statements: List[str]) -> None:
    for stmt in statements:
        # `\:` keeps a colon in the text from being read as a bound parameter.
        operations.execute(sa.text(stmt.replace(":", "\\:")))


_SESSION_ATTR = "_pgpolicy_session_timeouts"


def _run_op(operations: Operations, operation: _RlsOp) -> None:
    # The pins first, each its own statement: the op's SQL is read under the settings
    # it was compared and validated under, whatever the database or role sets. The time
    # limits are those of the last `op.pgpolicy_session(...)` of this run, else the
    # configured ones.
    ctx = operations.migration_context
    timeouts = getattr(ctx, _SESSION_ATTR, None) or _configured_timeouts(operations)
    _execute(operations, timeouts.pins() + operation.statements())


def _comment_lines(text: str) -> List[str]:
    # Every line break Python knows ends a comment; each line gets its own `#`.
    return ["# " + line for line in re.split(r"\r\n|[\r\n]", text)]


def _render_call(op: _RlsOp) -> str:
    args, kw = op.render_args()
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kw.items()]
    return f"op.{op.op_name}({', '.join(parts)})"


def _render_op(autogen_context: Any, op: _RlsOp) -> List[str]:
    lines: List[str] = []
    for why in op.weakens():
        lines.extend(_comment_lines(f"WEAKENS: {why}"))
    return lines + [_render_call(op)]


@Operations.register_operation("pgpolicy_session")
class PgpolicySessionOp(MigrateOperation):
    """Pins the migration's transaction: the core's ``SET LOCAL`` statements
    (``standard_conforming_strings`` on, ``search_path`` public, ``lock_timeout``,
    ``statement_timeout``), for every statement after it until the transaction ends.
    Durations as PostgreSQL writes them (``"5s"``) or ``datetime.timedelta``; None takes
    ``pgpolicy_lock_timeout`` / ``pgpolicy_statement_timeout`` from
    ``context.configure``, else the core's defaults."""

    def __init__(self, lock_timeout: Any = None, statement_timeout: Any = None) -> None:
        self.lock_timeout, self.statement_timeout = lock_timeout, statement_timeout

    @classmethod
    def pgpolicy_session(cls, operations: Operations, lock_timeout: Any = None, statement_timeout: Any = None) -> None:
        """Pins the migration's transaction (see ``PgpolicySessionOp``)."""
        operations.invoke(cls(lock_timeout, statement_timeout))

    def timeouts(self, operations: Operations) -> _native.Timeouts:
        return _configured_timeouts(operations, self.lock_timeout, self.statement_timeout)

    def reverse(self) -> "_SessionEnd":
        return _SessionEnd(self)

    def to_diff_tuple(self) -> Tuple[Any, ...]:
        return ("pgpolicy_session",)

    def __repr__(self) -> str:
        return _render_session(self)


class _SessionEnd(MigrateOperation):
    """The place of a session op at the other end of a revision: renders and runs
    nothing. Autogenerate puts one last in ``upgrade()``; Alembic's reversal turns it into
    the session op that opens ``downgrade()``."""

    def __init__(self, session: Optional[PgpolicySessionOp] = None) -> None:
        self.session = session or PgpolicySessionOp()

    def reverse(self) -> PgpolicySessionOp:
        return self.session

    def to_diff_tuple(self) -> Tuple[Any, ...]:
        return ("pgpolicy_session",)


def _render_session(op: PgpolicySessionOp) -> str:
    kw = {
        k: v
        for k, v in (("lock_timeout", op.lock_timeout), ("statement_timeout", op.statement_timeout))
        if v is not None
    }
    return f"op.pgpolicy_session({', '.join(f'{k}={v!r}' for k, v in kw.items())})"


@Operations.implementation_for(PgpolicySessionOp)
def _run_session(operations: Operations, operation: PgpolicySessionOp) -> None:
    timeouts = operation.timeouts(operations)
    setattr(operations.migration_context, _SESSION_ATTR, timeouts)
    _execute(operations, timeouts.pins())


@renderers.dispatch_for(PgpolicySessionOp)
def _render_session_op(autogen_context: Any, op: PgpolicySessionOp) -> str:
    return _render_session(op)


@Operations.implementation_for(_SessionEnd)
def _run_session_end(operations: Operations, operation: _SessionEnd) -> None:
    pass


@renderers.dispatch_for(_SessionEnd)
def _render_session_end(autogen_context: Any, op: _SessionEnd) -> List[str]:
    return []


def _with_schema(kw: Dict[str, Any], schema: Optional[str]) -> Dict[str, Any]:
    if schema is not None and schema != "public":
        kw = {"schema": schema, **kw}
    return kw


@_register
class EnableRlsOp(_RlsOp):
    """``ALTER TABLE .. ENABLE ROW LEVEL SECURITY`` (and ``FORCE`` with ``force=True``)."""

    op_name = "enable_rls"

    def __init__(self, table_name: str, schema: Optional[str] = None, force: bool = False) -> None:
        self.table_name, self.schema, self.force = table_name, schema, force

    def changes(self) -> List[Dict[str, Any]]:
        t = _table(self.table_name, self.schema)
        out = [{"kind": "enable_rls", "table": t}]
        if self.force:
            out.insert(0, {"kind": "force_rls", "table": t})
        return out

    def reverse(self) -> "DisableRlsOp":
        return DisableRlsOp(self.table_name, self.schema, self.force)

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        kw = {"force": True} if self.force else {}
        return [self.table_name], _with_schema(kw, self.schema)


@_register
class DisableRlsOp(_RlsOp):
    """``ALTER TABLE .. DISABLE ROW LEVEL SECURITY`` (and ``NO FORCE`` with ``force=True``)."""

    op_name = "disable_rls"

    def __init__(self, table_name: str, schema: Optional[str] = None, force: bool = False) -> None:
        self.table_name, self.schema, self.force = table_name, schema, force

    def changes(self) -> List[Dict[str, Any]]:
        t = _table(self.table_name, self.schema)
        out = [{"kind": "disable_rls", "table": t}]
        if self.force:
            out.append({"kind": "no_force_rls", "table": t})
        return out

    def reverse(self) -> EnableRlsOp:
        return EnableRlsOp(self.table_name, self.schema, self.force)

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        kw = {"force": True} if self.force else {}
        return [self.table_name], _with_schema(kw, self.schema)


@_register
class ForceRlsOp(_RlsOp):
    """``ALTER TABLE .. FORCE ROW LEVEL SECURITY`` (the owner is subject to policies)."""

    op_name = "force_rls"

    def __init__(self, table_name: str, schema: Optional[str] = None) -> None:
        self.table_name, self.schema = table_name, schema

    def changes(self) -> List[Dict[str, Any]]:
        return [{"kind": "force_rls", "table": _table(self.table_name, self.schema)}]

    def reverse(self) -> "NoForceRlsOp":
        return NoForceRlsOp(self.table_name, self.schema)

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        return [self.table_name], _with_schema({}, self.schema)


@_register
class NoForceRlsOp(_RlsOp):
    """``ALTER TABLE .. NO FORCE ROW LEVEL SECURITY``."""

    op_name = "no_force_rls"

    def __init__(self, table_name: str, schema: Optional[str] = None) -> None:
        self.table_name, self.schema = table_name, schema

    def changes(self) -> List[Dict[str, Any]]:
        return [{"kind": "no_force_rls", "table": _table(self.table_name, self.schema)}]

    def reverse(self) -> ForceRlsOp:
        return ForceRlsOp(self.table_name, self.schema)

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        return [self.table_name], _with_schema({}, self.schema)


class _PolicyOp(_RlsOp):
    def __init__(
        self,
        policy_name: str,
        table_name: str,
        schema: Optional[str] = None,
        *,
        using: Optional[str] = None,
        with_check: Optional[str] = None,
        command: str = "ALL",
        roles: Sequence[str] = ("PUBLIC",),
        permissive: bool = True,
        comment: Optional[str] = None,
    ) -> None:
        self.policy_name, self.table_name, self.schema = policy_name, table_name, schema
        self.using, self.with_check, self.command = using, with_check, command
        self.roles = [roles] if isinstance(roles, str) else list(roles)
        self.permissive, self.comment = permissive, comment

    def policy(self) -> Dict[str, Any]:
        return {
            "name": self.policy_name,
            "command": self.command,
            "permissive": self.permissive,
            "roles": self.roles,
            "using": self.using,
            "with_check": self.with_check,
            "comment": self.comment,
        }

    @classmethod
    def from_policy(cls, table: Dict[str, str], p: Dict[str, Any]) -> Any:
        return cls(
            p["name"],
            table["name"],
            _schema_arg(table["schema"]),
            using=p.get("using"),
            with_check=p.get("with_check"),
            command=p.get("command", "ALL"),
            roles=p.get("roles", ["PUBLIC"]),
            permissive=p.get("permissive", True),
            comment=p.get("comment"),
        )

    def _same(self, cls: Any) -> Any:
        return cls.from_policy(_table(self.table_name, self.schema), self.policy())

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        kw: Dict[str, Any] = {}
        if self.command.upper() != "ALL":
            kw["command"] = self.command
        if not self.permissive:
            kw["permissive"] = False
        if [r.upper() for r in self.roles] != ["PUBLIC"]:
            kw["roles"] = self.roles
        if self.using is not None:
            kw["using"] = self.using
        if self.with_check is not None:
            kw["with_check"] = self.with_check
        if self.comment is not None:
            kw["comment"] = self.comment
        return [self.policy_name, self.table_name], _with_schema(kw, self.schema)


@_register
class CreatePolicyOp(_PolicyOp):
    """``CREATE POLICY``; the reverse drops it."""

    op_name = "create_policy"

    def changes(self) -> List[Dict[str, Any]]:
        return [{"kind": "create_policy", "table": _table(self.table_name, self.schema), "policy": self.policy()}]

    def reverse(self) -> "DropPolicyOp":
        return self._same(DropPolicyOp)


@_register
class DropPolicyOp(_PolicyOp):
    """``DROP POLICY``; carries the whole policy so that the reverse creates it again."""

    op_name = "drop_policy"

    def changes(self) -> List[Dict[str, Any]]:
        return [{"kind": "drop_policy", "table": _table(self.table_name, self.schema), "policy": self.policy()}]

    def reverse(self) -> CreatePolicyOp:
        return self._same(CreatePolicyOp)


@_register
class AlterPolicyOp(_RlsOp):
    """``ALTER POLICY .. TO .. USING (..) WITH CHECK (..)`` for the parts given; the
    ``old_*`` values are what the reverse sets back."""

    op_name = "alter_policy"

    def __init__(
        self,
        policy_name: str,
        table_name: str,
        schema: Optional[str] = None,
        *,
        roles: Optional[Sequence[str]] = None,
        using: Optional[str] = None,
        with_check: Optional[str] = None,
        old_roles: Optional[Sequence[str]] = None,
        old_using: Optional[str] = None,
        old_with_check: Optional[str] = None,
    ) -> None:
        self.policy_name, self.table_name, self.schema = policy_name, table_name, schema
        self.roles = list(roles) if roles is not None else None
        self.using, self.with_check = using, with_check
        self.old_roles = list(old_roles) if old_roles is not None else None
        self.old_using, self.old_with_check = old_using, old_with_check

    def changes(self) -> List[Dict[str, Any]]:
        clauses = []
        for name, new, old in (
            ("ROLES", self.roles, self.old_roles),
            ("USING", self.using, self.old_using),
            ("WITH_CHECK", self.with_check, self.old_with_check),
        ):
            if new is not None:
                clauses.append(
                    {
                        "clause": name,
                        "from": old if isinstance(old, str) else None,
                        "to": new if isinstance(new, str) else None,
                    }
                )
        to = {
            "name": self.policy_name,
            "roles": self.roles or ["PUBLIC"],
            "using": self.using,
            "with_check": self.with_check,
        }
        frm = {
            "name": self.policy_name,
            "roles": self.old_roles or ["PUBLIC"],
            "using": self.old_using,
            "with_check": self.old_with_check,
        }
        return [
            {
                "kind": "alter_policy",
                "table": _table(self.table_name, self.schema),
                "from": frm,
                "to": to,
                "clauses": clauses,
            }
        ]

    def reverse(self) -> "AlterPolicyOp":
        return AlterPolicyOp(
            self.policy_name,
            self.table_name,
            self.schema,
            roles=self.old_roles if self.roles is not None else None,
            using=self.old_using if self.using is not None else None,
            with_check=self.old_with_check if self.with_check is not None else None,
            old_roles=self.roles if self.roles is not None else None,
            old_using=self.using if self.using is not None else None,
            old_with_check=self.with_check if self.with_check is not None else None,
        )

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        kw: Dict[str, Any] = {}
        for key in ("roles", "using", "with_check", "old_roles", "old_using", "old_with_check"):
            value = getattr(self, key)
            if value is not None:
                kw[key] = value
        return [self.policy_name, self.table_name], _with_schema(kw, self.schema)


@_register
class RenamePolicyOp(_RlsOp):
    """``ALTER POLICY .. RENAME TO ..``."""

    op_name = "rename_policy"

    def __init__(self, old_name: str, new_name: str, table_name: str, schema: Optional[str] = None) -> None:
        self.old_name, self.new_name, self.table_name, self.schema = old_name, new_name, table_name, schema

    def changes(self) -> List[Dict[str, Any]]:
        t = _table(self.table_name, self.schema)
        return [{"kind": "rename_policy", "table": t, "from": self.old_name, "to": self.new_name}]

    def reverse(self) -> "RenamePolicyOp":
        return RenamePolicyOp(self.new_name, self.old_name, self.table_name, self.schema)

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        return [self.old_name, self.new_name, self.table_name], _with_schema({}, self.schema)


@_register
class CommentOnPolicyOp(_RlsOp):
    """``COMMENT ON POLICY``; ``old_comment`` is what the reverse sets back."""

    op_name = "comment_on_policy"

    def __init__(
        self,
        policy_name: str,
        table_name: str,
        comment: Optional[str],
        schema: Optional[str] = None,
        old_comment: Optional[str] = None,
    ) -> None:
        self.policy_name, self.table_name, self.comment = policy_name, table_name, comment
        self.schema, self.old_comment = schema, old_comment

    def changes(self) -> List[Dict[str, Any]]:
        t = _table(self.table_name, self.schema)
        return [
            {
                "kind": "comment_on_policy",
                "table": t,
                "policy": self.policy_name,
                "from": self.old_comment,
                "to": self.comment,
            }
        ]

    def reverse(self) -> "CommentOnPolicyOp":
        return CommentOnPolicyOp(self.policy_name, self.table_name, self.old_comment, self.schema, self.comment)

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        kw = {"old_comment": self.old_comment} if self.old_comment is not None else {}
        return [self.policy_name, self.table_name, self.comment], _with_schema(kw, self.schema)


class _RoleOp(_RlsOp):
    def __init__(self, role_name: str, *, login: bool = False, inherit: bool = True, bypassrls: bool = False) -> None:
        self.role_name, self.login, self.inherit, self.bypassrls = role_name, login, inherit, bypassrls

    def role(self) -> Dict[str, Any]:
        return {"name": self.role_name, "login": self.login, "inherit": self.inherit, "bypassrls": self.bypassrls}

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        kw: Dict[str, Any] = {}
        if self.login:
            kw["login"] = True
        if not self.inherit:
            kw["inherit"] = False
        if self.bypassrls:
            kw["bypassrls"] = True
        return [self.role_name], kw


@_register
class CreateRoleOp(_RoleOp):
    """``CREATE ROLE``; the reverse drops it."""

    op_name = "create_role"

    def changes(self) -> List[Dict[str, Any]]:
        return [{"kind": "create_role", "role": self.role()}]

    def reverse(self) -> "DropRoleOp":
        return DropRoleOp(self.role_name, login=self.login, inherit=self.inherit, bypassrls=self.bypassrls)


@_register
class DropRoleOp(_RoleOp):
    """``DROP ROLE``; carries the attributes so that the reverse creates it again."""

    op_name = "drop_role"

    def changes(self) -> List[Dict[str, Any]]:
        return [{"kind": "drop_role", "role": self.role()}]

    def reverse(self) -> CreateRoleOp:
        return CreateRoleOp(self.role_name, login=self.login, inherit=self.inherit, bypassrls=self.bypassrls)


@_register
class AlterRoleOp(_RlsOp):
    """``ALTER ROLE .. WITH ..``; ``old`` holds the attributes the reverse sets back."""

    op_name = "alter_role"

    def __init__(self, role_name: str, *, login: bool, inherit: bool, bypassrls: bool, old: Dict[str, bool]) -> None:
        self.role_name = role_name
        self.new = {"login": login, "inherit": inherit, "bypassrls": bypassrls}
        self.old = dict(old)

    def changes(self) -> List[Dict[str, Any]]:
        return [
            {
                "kind": "alter_role",
                "from": {"name": self.role_name, **self.old},
                "to": {"name": self.role_name, **self.new},
            }
        ]

    def reverse(self) -> "AlterRoleOp":
        return AlterRoleOp(self.role_name, old=self.new, **self.old)

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        return [self.role_name], {**self.new, "old": self.old}


@_register
class GrantRoleOp(_RlsOp):
    """``GRANT group TO member``."""

    op_name = "grant_role"

    def __init__(self, group: str, member: str) -> None:
        self.group, self.member = group, member

    def changes(self) -> List[Dict[str, Any]]:
        return [{"kind": "grant_membership", "group": self.group, "member": self.member}]

    def reverse(self) -> "RevokeRoleOp":
        return RevokeRoleOp(self.group, self.member)

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        return [self.group, self.member], {}


@_register
class RevokeRoleOp(_RlsOp):
    """``REVOKE group FROM member``."""

    op_name = "revoke_role"

    def __init__(self, group: str, member: str) -> None:
        self.group, self.member = group, member

    def changes(self) -> List[Dict[str, Any]]:
        return [{"kind": "revoke_membership", "group": self.group, "member": self.member}]

    def reverse(self) -> GrantRoleOp:
        return GrantRoleOp(self.group, self.member)

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        return [self.group, self.member], {}


class _PrivilegesOp(_RlsOp):
    kind = ""

    def __init__(self, table_name: str, role: str, privileges: Sequence[str], schema: Optional[str] = None) -> None:
        self.table_name, self.role, self.schema = table_name, role, schema
        self.privileges = [privileges] if isinstance(privileges, str) else list(privileges)

    def changes(self) -> List[Dict[str, Any]]:
        return [
            {
                "kind": self.kind,
                "table": _table(self.table_name, self.schema),
                "role": self.role,
                "privileges": self.privileges,
            }
        ]

    def render_args(self) -> Tuple[List[Any], Dict[str, Any]]:
        return [self.table_name, self.role, self.privileges], _with_schema({}, self.schema)


@_register
class GrantPrivilegesOp(_PrivilegesOp):
    """``GRANT privileges ON TABLE .. TO role``."""

    op_name = "grant_privileges"
    kind = "grant"

    def reverse(self) -> "RevokePrivilegesOp":
        return RevokePrivilegesOp(self.table_name, self.role, self.privileges, self.schema)


@_register
class RevokePrivilegesOp(_PrivilegesOp):
    """``REVOKE privileges ON TABLE .. FROM role``."""

    op_name = "revoke_privileges"
    kind = "revoke"

    def reverse(self) -> GrantPrivilegesOp:
        return GrantPrivilegesOp(self.table_name, self.role, self.privileges, self.schema)


# --- From core changes to ops -------------------------------------------------------------


def ops_for_change(change: Dict[str, Any]) -> List[_RlsOp]:
    """The ops for one core change (a dict from ``Plan.changes``)."""
    kind = change["kind"]
    t: Dict[str, str] = change.get("table") or {}
    name: str = t.get("name", "")
    schema = _schema_arg(t.get("schema", "public"))
    if kind == "enable_rls":
        return [EnableRlsOp(name, schema)]
    if kind == "disable_rls":
        return [DisableRlsOp(name, schema)]
    if kind == "force_rls":
        return [ForceRlsOp(name, schema)]
    if kind == "no_force_rls":
        return [NoForceRlsOp(name, schema)]
    if kind == "create_policy":
        return [CreatePolicyOp.from_policy(t, change["policy"])]
    if kind == "drop_policy":
        return [DropPolicyOp.from_policy(t, change["policy"])]
    if kind == "replace_policy":
        return [DropPolicyOp.from_policy(t, change["from"]), CreatePolicyOp.from_policy(t, change["to"])]
    if kind == "rename_policy":
        return [RenamePolicyOp(change["from"], change["to"], name, schema)]
    if kind == "alter_policy":
        frm, to = change["from"], change["to"]
        clauses = {c["clause"] for c in change["clauses"]}
        # ALTER POLICY cannot remove a clause, so a change whose reverse would have to
        # (a clause added here) is written as drop + create, which reverses exactly.
        if ("USING" in clauses and frm.get("using") is None) or (
            "WITH_CHECK" in clauses and frm.get("with_check") is None
        ):
            return [DropPolicyOp.from_policy(t, frm), CreatePolicyOp.from_policy(t, to)]
        kw: Dict[str, Any] = {}
        if "ROLES" in clauses:
            kw["roles"], kw["old_roles"] = to["roles"], frm["roles"]
        if "USING" in clauses:
            kw["using"], kw["old_using"] = to["using"], frm["using"]
        if "WITH_CHECK" in clauses:
            kw["with_check"], kw["old_with_check"] = to["with_check"], frm["with_check"]
        return [AlterPolicyOp(to["name"], name, schema, **kw)]
    if kind == "comment_on_policy":
        return [CommentOnPolicyOp(change["policy"], name, change["to"], schema, change["from"])]
    if kind in ("create_role", "drop_role"):
        r = change["role"]
        cls = CreateRoleOp if kind == "create_role" else DropRoleOp
        return [cls(r["name"], login=r["login"], inherit=r["inherit"], bypassrls=r["bypassrls"])]
    if kind == "alter_role":
        frm, to = change["from"], change["to"]
        old = {k: frm[k] for k in ("login", "inherit", "bypassrls")}
        return [AlterRoleOp(to["name"], login=to["login"], inherit=to["inherit"], bypassrls=to["bypassrls"], old=old)]
    if kind == "grant_membership":
        return [GrantRoleOp(change["group"], change["member"])]
    if kind == "revoke_membership":
        return [RevokeRoleOp(change["group"], change["member"])]
    if kind == "grant":
        return [GrantPrivilegesOp(name, change["role"], change["privileges"], schema)]
    if kind == "revoke":
        return [RevokePrivilegesOp(name, change["role"], change["privileges"], schema)]
    raise ValueError(f"unknown change kind {kind!r}")


def _metadatas(autogen_context: Any) -> List[sa.MetaData]:
    md = autogen_context.metadata
    if md is None:
        return []
    return list(md) if isinstance(md, (list, tuple)) else [md]


def _compare(autogen_context: Any, upgrade_ops: Any, schemas: Any) -> None:
    conn = autogen_context.connection
    if conn is None:
        return
    if conn.dialect.name != "postgresql":
        warn_skipped(conn.dialect.name, "RLS autogenerate")
        return
    metadatas = _metadatas(autogen_context)
    if not metadatas:
        return
    default_schema = conn.dialect.default_schema_name or "public"
    wanted = {s or default_schema for s in schemas}

    def include(table: sa.Table) -> bool:
        schema = table.schema or default_schema
        if schema not in wanted:
            return False
        if not autogen_context.run_name_filters(table.name, "table", {"schema_name": table.schema}):
            return False
        return bool(autogen_context.run_object_filters(table, table.name, "table", False, None))

    desired: Dict[str, Any] = {"tables": [], "grants": []}
    for md in metadatas:
        part = schema_dict(md, include_table=include)
        desired["tables"].extend(part["tables"])
        desired["grants"].extend(part["grants"])
        if "roles" in part:
            desired.setdefault("roles", []).extend(part["roles"])

    # Tables this revision drops: their RLS and policies go first, so that the downgrade
    # (which creates the table again) brings them back.
    dropped: Dict[Tuple[str, str], int] = {}
    for i, op in enumerate(upgrade_ops.ops):
        if isinstance(op, alembic_ops.DropTableOp):
            dropped[(op.schema or default_schema, op.table_name)] = i
    for schema, name in dropped:
        desired["tables"].append(
            {"schema": schema, "name": name, "rls": {"enabled": False, "forced": False}, "policies": []}
        )

    declared = Schema.from_json(json.dumps(desired))
    introspect_schemas = sorted(wanted | {s for s, _ in dropped} | {t["schema"] for t in desired["tables"]})
    opts = autogen_context.migration_context.opts
    plan = _db.plan(
        conn,
        declared,
        schemas=introspect_schemas,
        lock_timeout=opts.get("pgpolicy_lock_timeout"),
        statement_timeout=opts.get("pgpolicy_statement_timeout"),
    )

    before: Dict[int, List[_RlsOp]] = {}
    after: List[_RlsOp] = []
    for change in plan.changes:
        new_ops = ops_for_change(change)
        t = change.get("table")
        key = (t["schema"], t["name"]) if t else None
        if key in dropped:
            before.setdefault(dropped[key], []).extend(new_ops)
        else:
            after.extend(new_ops)
    if before:
        ops: List[Any] = []
        for i, op in enumerate(upgrade_ops.ops):
            ops.extend(before.get(i, []))
            ops.append(op)
        upgrade_ops.ops[:] = ops
    upgrade_ops.ops.extend(after)
    if before or after:
        # The revision's transaction is pinned from its first statement, both ways: the
        # session op opens upgrade(), and its end marker (reversed by Alembic into a
        # session op) opens downgrade().
        upgrade_ops.ops.insert(0, PgpolicySessionOp())
        upgrade_ops.ops.append(_SessionEnd())


def _register_comparator() -> None:
    try:
        from alembic.util import DispatchPriority

        comparators.dispatch_for("schema", priority=DispatchPriority.LAST)(_compare)
    except ImportError:  # Alembic before 1.18: one list, run in registration order
        comparators.dispatch_for("schema")(_compare)


_register_comparator()
