"""Alembic autogenerate for RLS. ``import pgpolicy.alembic`` in ``env.py`` registers:

- a schema comparator: introspects through the autogenerate connection, diffs against
  ``schema_from_metadata(target_metadata)`` (undecided expressions compared by PostgreSQL
  itself, in a savepoint that is rolled back) and turns each of the plan's changes into an
  op that holds it;
- ops: ``op.enable_rls``, ``op.disable_rls``, ``op.force_rls``, ``op.no_force_rls``,
  ``op.create_policy``, ``op.alter_policy``, ``op.drop_policy``, ``op.rename_policy``,
  ``op.comment_on_policy``, ``op.create_role``, ``op.alter_role``, ``op.drop_role``,
  ``op.grant_role``, ``op.revoke_role``, ``op.alter_role_membership``, ``op.grant_privileges``, ``op.revoke_privileges``,
  ``op.grant_default_privileges``, ``op.revoke_default_privileges``, ``op.create_function``,
  ``op.replace_function``, ``op.recreate_function``, ``op.drop_function``.
  Each only builds the core's ``pgpolicy.Change`` from its arguments; the op
  (``ChangeOp``) takes its SQL, its reverse, its description and whether it weakens
  protection from the core;
- ``op.pgpolicy_session()``, which autogenerate writes first in ``upgrade()`` and in
  ``downgrade()`` of a revision with RLS ops: it pins the migration's transaction (the
  core's ``SET LOCAL`` statements: ``standard_conforming_strings``, ``search_path``,
  ``lock_timeout``, ``statement_timeout``), so that the whole migration waits for a lock
  at most ``lock_timeout``;
- renderers that write each change as its readable call into the migration file (a
  ``# WEAKENS: ...`` line above an op that weakens protection; a replaced policy as
  ``op.drop_policy`` and ``op.create_policy``), and an implementation that runs the core's
  SQL (online, or printed with ``--sql``) after the core's pinned settings.

Time limits come from ``context.configure(..., pgpolicy_lock_timeout="5s",
pgpolicy_statement_timeout="5min")`` in ``env.py`` (durations as PostgreSQL writes them,
or ``datetime.timedelta``), or from ``op.pgpolicy_session(lock_timeout=...)`` in one
migration; the defaults are the core's (5 s and 5 min).

Lint at generation time (``alembic revision --autogenerate``, ``alembic check``):
``context.configure(..., pgpolicy_lint=True)`` logs the core's lint findings for the models
checked against the database (docs/lints.md); ``pgpolicy_lint_fail_on="error"`` (or
``"warning"``) makes a finding at that level stop the command (``LintFailed``);
``pgpolicy_lint_config`` is a pgpolicy.toml path or a dict (default ./pgpolicy.toml).

Impact at generation time: ``context.configure(..., pgpolicy_impact={"role": "app_user",
"settings": {"app.tenant_id": "2"}, "sample_limit": 10000})`` (or a list of such) writes, at
the top of ``upgrade()``, a comment block saying how many rows of each table the revision
makes visible, invisible, updatable or deletable to that role (the core's ``plan
--impact``, evaluated as the role in a read-only savepoint that is rolled back).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Type, Union

import sqlalchemy as sa
from alembic.autogenerate import comparators, renderers
from alembic.operations import MigrateOperation, Operations
from alembic.operations import ops as alembic_ops

from pgpolicy import _db, _native
from pgpolicy._native import Change, Schema
from pgpolicy.sqlalchemy import schema_json, warn_skipped

_log = logging.getLogger("alembic.autogenerate.pgpolicy")

__all__ = [
    "op",
    "ChangeOp",
    "PgpolicySessionOp",
    "AlterPolicyOp",
    "AlterRoleOp",
    "AlterRoleMembershipOp",
    "CommentOnPolicyOp",
    "CreatePolicyOp",
    "CreateRoleOp",
    "DisableRlsOp",
    "DropPolicyOp",
    "DropRoleOp",
    "EnableRlsOp",
    "ForceRlsOp",
    "ImpactNote",
    "CreateFunctionOp",
    "DropFunctionOp",
    "GrantDefaultPrivilegesOp",
    "GrantPrivilegesOp",
    "GrantRoleOp",
    "NoForceRlsOp",
    "RecreateFunctionOp",
    "RenamePolicyOp",
    "ReplaceFunctionOp",
    "RevokePrivilegesOp",
    "RevokeRoleOp",
]

#: One readable call in a migration file: ``op.<name>(*args, **kw)``.
Call = Tuple[str, List[Any], Dict[str, Any]]


class ChangeOp(MigrateOperation):
    """An RLS operation of a migration: the core ``Change`` it is (two for
    ``enable_rls(force=True)`` and ``disable_rls(force=True)``). Its statements, reverse,
    description and weakening are the core's; it is written into a migration file as the
    readable ``op.<name>(...)`` call(s) of its changes."""

    def __init__(self, changes: Sequence[Change]) -> None:
        self.changes: List[Change] = list(changes)

    def statements(self) -> List[str]:
        return [stmt for c in self.changes for stmt in c.sql()]

    def describe(self) -> str:
        return "; ".join(c.describe() for c in self.changes)

    def weakens(self) -> List[str]:
        """Why the op weakens protection (the core's words), one entry per change that does."""
        return [w for w in (c.weakens for c in self.changes) if w is not None]

    def reverse(self) -> "ChangeOp":
        """The op that undoes this one: each change's reverse (the core's), in reverse order."""
        return ChangeOp([c.reverse() for c in reversed(self.changes)])

    def calls(self) -> List[Call]:
        """The readable calls this op is written as."""
        return [call for c in self.changes for call in _calls(c)]

    def to_diff_tuple(self) -> Tuple[Any, ...]:
        calls = tuple((name, *args, tuple(sorted(kw.items(), key=lambda i: i[0]))) for name, args, kw in self.calls())
        return calls[0] if len(calls) == 1 else calls

    def __repr__(self) -> str:
        return "\n".join(_render_call(call) for call in self.calls())


#: The name of ``ChangeOp`` before ops held core changes.
_RlsOp = ChangeOp


def _table(table_name: str, schema: Optional[str]) -> Dict[str, str]:
    return {"schema": schema or "public", "name": table_name}


def _changes(*forms: Dict[str, Any]) -> List[Change]:
    """Core changes from their serde form (read and checked by the core)."""
    return [Change.from_dict(f) for f in forms]


def _readable(op_name: str) -> Any:
    """Registers ``op.<op_name>(...)``: builds the op (a ``ChangeOp`` subclass whose
    constructor only turns its arguments into core changes) and runs it."""

    def register(cls: Any) -> Any:
        def invoke(cls: Any, operations: Operations, *args: Any, **kw: Any) -> Any:
            return operations.invoke(cls(*args, **kw))

        invoke.__name__ = op_name
        invoke.__doc__ = cls.__doc__
        cls.op_name = op_name
        setattr(cls, op_name, classmethod(invoke))
        Operations.register_operation(op_name)(cls)
        return cls

    return register


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


@Operations.implementation_for(ChangeOp)
def _run_op(operations: Operations, operation: ChangeOp) -> None:
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


def _render_call(call: Call) -> str:
    name, args, kw = call
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kw.items()]
    return f"op.{name}({', '.join(parts)})"


@renderers.dispatch_for(ChangeOp)
def _render_op(autogen_context: Any, op: ChangeOp) -> List[str]:
    lines: List[str] = []
    for why in op.weakens():
        lines.extend(_comment_lines(f"WEAKENS: {why}"))
    return lines + [_render_call(call) for call in op.calls()]


# --- The readable calls: a change as `op.<name>(...)` ----------------------------------


def _policy_call(op_name: str, table: str, schema_kw: Dict[str, Any], p: Dict[str, Any]) -> Call:
    kw = dict(schema_kw)
    if p["command"] != "ALL":
        kw["command"] = p["command"]
    if not p["permissive"]:
        kw["permissive"] = False
    if p["roles"] != ["PUBLIC"]:
        kw["roles"] = p["roles"]
    for key in ("using", "with_check", "comment"):
        if p.get(key) is not None:
            kw[key] = p[key]
    return (op_name, [p["name"], table], kw)


def _role_kw(r: Dict[str, Any]) -> Dict[str, Any]:
    kw: Dict[str, Any] = {}
    if r["login"]:
        kw["login"] = True
    if not r["inherit"]:
        kw["inherit"] = False
    if r["bypassrls"]:
        kw["bypassrls"] = True
    if r.get("connection_limit") is not None:
        kw["connection_limit"] = r["connection_limit"]
    return kw


def _function_kw(f: Dict[str, Any]) -> Dict[str, Any]:
    kw: Dict[str, Any] = {"returns": f["returns"], "body": f["body"]}
    if f["schema"] != "public":
        kw["schema"] = f["schema"]
    if f["arguments"]:
        kw["arguments"] = f["arguments"]
    if f["language"] != "sql":
        kw["language"] = f["language"]
    if f["volatility"] != "VOLATILE":
        kw["volatility"] = f["volatility"]
    for key in ("security_definer", "strict"):
        if f.get(key):
            kw[key] = True
    if f.get("search_path") is not None:
        kw["search_path"] = f["search_path"]
    for key in ("parallel", "leakproof", "cost"):
        if f.get(key):
            kw[key] = f[key]
    return kw


_ROLE_ATTRS = ("login", "inherit", "bypassrls")
# The fields of a grant or revoke beyond table, role and privileges, when not their defaults.
_PRIVILEGE_KEYS = ("on", "args", "columns", "grant_option", "option_only", "sequences")
_CLAUSE_KEYS = {"ROLES": "roles", "USING": "using", "WITH_CHECK": "with_check"}
_RLS_KINDS = ("enable_rls", "disable_rls", "force_rls", "no_force_rls")


def _calls(c: Change) -> List[Call]:
    """How a core change is written in a migration file (the fields are the core's; the
    op's constructor turns the call back into the same change)."""
    kind, t = c.kind, c.table
    table = t["name"] if t else ""
    schema_kw: Dict[str, Any] = {"schema": t["schema"]} if t and t["schema"] != "public" else {}
    if kind in _RLS_KINDS:
        return [(kind, [table], schema_kw)]
    if kind in ("create_policy", "drop_policy"):
        return [_policy_call(kind, table, schema_kw, c.policy)]
    if kind == "replace_policy":
        return [
            _policy_call("drop_policy", table, schema_kw, c.from_),
            _policy_call("create_policy", table, schema_kw, c.to),
        ]
    if kind == "rename_policy":
        return [(kind, [c.from_, c.to, table], schema_kw)]
    if kind == "alter_policy":
        frm, to = c.from_, c.to
        changed = [_CLAUSE_KEYS[cl["clause"]] for cl in c.clauses or []]
        kw = dict(schema_kw)
        kw.update({key: to[key] for key in changed})
        kw.update({f"old_{key}": frm[key] for key in changed if frm[key] is not None})
        return [(kind, [to["name"], table], kw)]
    if kind == "comment_on_policy":
        kw = dict(schema_kw)
        if c.from_ is not None:
            kw["old_comment"] = c.from_
        return [(kind, [c.policy, table, c.to], kw)]
    if kind in ("create_role", "drop_role"):
        return [(kind, [c.role["name"]], _role_kw(c.role))]
    if kind == "alter_role":
        frm, to = c.from_, c.to
        keys = _ROLE_ATTRS + ("connection_limit",)
        new = {k: to[k] for k in keys if to.get(k) is not None}
        return [(kind, [to["name"]], {**new, "old": {k: frm[k] for k in keys if frm.get(k) is not None}})]
    if kind in ("grant_membership", "revoke_membership"):
        options = c.to_dict().get("options") or {}
        return [("grant_role" if kind == "grant_membership" else "revoke_role", [c.group, c.member], dict(options))]
    if kind == "alter_membership":
        d = c.to_dict()
        return [("alter_role_membership", [d["group"], d["member"]], {"options": d["to"], "old": d["from"]})]
    if kind in ("grant", "revoke"):
        name = "grant_privileges" if kind == "grant" else "revoke_privileges"
        d = c.to_dict()
        kw = dict(schema_kw)
        kw.update({key: d[key] for key in _PRIVILEGE_KEYS if key in d})
        return [(name, [table, c.role, c.privileges], kw)]
    if kind in ("create_function", "drop_function"):
        f = c.to_dict()["function"]
        return [(kind, [f["name"]], _function_kw(f))]
    if kind == "replace_function":
        d = c.to_dict()
        return [(kind, [d["to"]["name"]], {**_function_kw(d["to"]), "old": _function_kw(d["from"])})]
    if kind == "recreate_function":
        d = c.to_dict()
        kw = {**_function_kw(d["to"]), "old": _function_kw(d["from"])}
        if d.get("policies"):
            kw["policies"] = d["policies"]
        return [(kind, [d["to"]["name"]], kw)]
    if kind in ("grant_default", "revoke_default"):
        d = c.to_dict()
        name = "grant_default_privileges" if kind == "grant_default" else "revoke_default_privileges"
        kw = {key: d[key] for key in ("schema", "grant_option", "option_only") if key in d}
        if "owner" in d:
            kw["for_role"] = d["owner"]
        return [(name, [d["on"], d["role"], d["privileges"]], kw)]
    raise ValueError(f"no readable call for a {kind!r} change")


# --- The readable ops: each builds the core's change from its arguments -----------------


@_readable("enable_rls")
class EnableRlsOp(ChangeOp):
    """``ALTER TABLE .. ENABLE ROW LEVEL SECURITY`` (and ``FORCE`` with ``force=True``)."""

    def __init__(self, table_name: str, schema: Optional[str] = None, force: bool = False) -> None:
        t = _table(table_name, schema)
        forced = [{"kind": "force_rls", "table": t}] if force else []
        super().__init__(_changes(*forced, {"kind": "enable_rls", "table": t}))


@_readable("disable_rls")
class DisableRlsOp(ChangeOp):
    """``ALTER TABLE .. DISABLE ROW LEVEL SECURITY`` (and ``NO FORCE`` with ``force=True``)."""

    def __init__(self, table_name: str, schema: Optional[str] = None, force: bool = False) -> None:
        t = _table(table_name, schema)
        forced = [{"kind": "no_force_rls", "table": t}] if force else []
        super().__init__(_changes({"kind": "disable_rls", "table": t}, *forced))


@_readable("force_rls")
class ForceRlsOp(ChangeOp):
    """``ALTER TABLE .. FORCE ROW LEVEL SECURITY`` (the owner is subject to policies)."""

    def __init__(self, table_name: str, schema: Optional[str] = None) -> None:
        super().__init__(_changes({"kind": "force_rls", "table": _table(table_name, schema)}))


@_readable("no_force_rls")
class NoForceRlsOp(ChangeOp):
    """``ALTER TABLE .. NO FORCE ROW LEVEL SECURITY``."""

    def __init__(self, table_name: str, schema: Optional[str] = None) -> None:
        super().__init__(_changes({"kind": "no_force_rls", "table": _table(table_name, schema)}))


class _PolicyOp(ChangeOp):
    kind = ""

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
        policy = {
            "name": policy_name,
            "command": command,
            "permissive": permissive,
            "roles": [roles] if isinstance(roles, str) else list(roles),
            "using": using,
            "with_check": with_check,
            "comment": comment,
        }
        super().__init__(_changes({"kind": self.kind, "table": _table(table_name, schema), "policy": policy}))


@_readable("create_policy")
class CreatePolicyOp(_PolicyOp):
    """``CREATE POLICY``; the reverse drops it."""

    kind = "create_policy"


@_readable("drop_policy")
class DropPolicyOp(_PolicyOp):
    """``DROP POLICY``; carries the whole policy so that the reverse creates it again."""

    kind = "drop_policy"


@_readable("alter_policy")
class AlterPolicyOp(ChangeOp):
    """``ALTER POLICY .. TO .. USING (..) WITH CHECK (..)`` for the parts given; the
    ``old_*`` values are what the reverse sets back (none: the clause is added, and the
    core's reverse replaces the policy)."""

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
        given = {"ROLES": (roles, old_roles), "USING": (using, old_using), "WITH_CHECK": (with_check, old_with_check)}
        clauses = [
            {"clause": name, "from": old if isinstance(old, str) else None, "to": new if isinstance(new, str) else None}
            for name, (new, old) in given.items()
            if new is not None
        ]

        def side(r: Optional[Sequence[str]], u: Optional[str], w: Optional[str]) -> Dict[str, Any]:
            return {"name": policy_name, "roles": list(r) if r else ["PUBLIC"], "using": u, "with_check": w}

        change = {
            "kind": "alter_policy",
            "table": _table(table_name, schema),
            "from": side(old_roles, old_using, old_with_check),
            "to": side(roles, using, with_check),
            "clauses": clauses,
        }
        super().__init__(_changes(change))


@_readable("rename_policy")
class RenamePolicyOp(ChangeOp):
    """``ALTER POLICY .. RENAME TO ..``."""

    def __init__(self, old_name: str, new_name: str, table_name: str, schema: Optional[str] = None) -> None:
        t = _table(table_name, schema)
        super().__init__(_changes({"kind": "rename_policy", "table": t, "from": old_name, "to": new_name}))


@_readable("comment_on_policy")
class CommentOnPolicyOp(ChangeOp):
    """``COMMENT ON POLICY``; ``old_comment`` is what the reverse sets back."""

    def __init__(
        self,
        policy_name: str,
        table_name: str,
        comment: Optional[str],
        schema: Optional[str] = None,
        old_comment: Optional[str] = None,
    ) -> None:
        t = _table(table_name, schema)
        change = {"kind": "comment_on_policy", "table": t, "policy": policy_name, "from": old_comment, "to": comment}
        super().__init__(_changes(change))


class _RoleOp(ChangeOp):
    kind = ""

    def __init__(
        self,
        role_name: str,
        *,
        login: bool = False,
        inherit: bool = True,
        bypassrls: bool = False,
        connection_limit: Optional[int] = None,
    ) -> None:
        role: Dict[str, Any] = {"name": role_name, "login": login, "inherit": inherit, "bypassrls": bypassrls}
        if connection_limit is not None:
            role["connection_limit"] = connection_limit
        super().__init__(_changes({"kind": self.kind, "role": role}))


@_readable("create_role")
class CreateRoleOp(_RoleOp):
    """``CREATE ROLE``; the reverse drops it."""

    kind = "create_role"


@_readable("drop_role")
class DropRoleOp(_RoleOp):
    """``DROP ROLE``; carries the attributes so that the reverse creates it again."""

    kind = "drop_role"


@_readable("alter_role")
class AlterRoleOp(ChangeOp):
    """``ALTER ROLE .. WITH ..``; ``old`` holds the attributes the reverse sets back."""

    def __init__(
        self,
        role_name: str,
        *,
        login: bool,
        inherit: bool,
        bypassrls: bool,
        old: Dict[str, Any],
        connection_limit: Optional[int] = None,
    ) -> None:
        new: Dict[str, Any] = {"login": login, "inherit": inherit, "bypassrls": bypassrls}
        if connection_limit is not None:
            new["connection_limit"] = connection_limit
        change = {"kind": "alter_role", "from": {"name": role_name, **old}, "to": {"name": role_name, **new}}
        super().__init__(_changes(change))


class _MembershipOp(ChangeOp):
    kind = ""

    def __init__(
        self,
        group: str,
        member: str,
        *,
        admin: bool = False,
        inherit: Optional[bool] = None,
        set: Optional[bool] = None,
    ) -> None:
        options: Dict[str, Any] = {"admin": admin}
        if inherit is not None:
            options["inherit"] = inherit
        if set is not None:
            options["set"] = set
        super().__init__(_changes({"kind": self.kind, "group": group, "member": member, "options": options}))


@_readable("grant_role")
class GrantRoleOp(_MembershipOp):
    """``GRANT group TO member``; ``admin=True`` for ``WITH ADMIN OPTION``, ``inherit`` and
    ``set`` for PostgreSQL 16's membership options."""

    kind = "grant_membership"


@_readable("revoke_role")
class RevokeRoleOp(_MembershipOp):
    """``REVOKE group FROM member``; the options are those it had (the reverse grants them)."""

    kind = "revoke_membership"


@_readable("alter_role_membership")
class AlterRoleMembershipOp(ChangeOp):
    """Changes the options of a membership (``REVOKE ADMIN OPTION FOR ..``, ``GRANT .. WITH
    INHERIT FALSE``); ``old`` holds the options the reverse sets back."""

    def __init__(self, group: str, member: str, *, options: Dict[str, Any], old: Dict[str, Any]) -> None:
        change = {"kind": "alter_membership", "group": group, "member": member, "from": old, "to": options}
        super().__init__(_changes(change))


class _PrivilegesOp(ChangeOp):
    kind = ""

    def __init__(
        self,
        table_name: str,
        role: str,
        privileges: Sequence[str],
        schema: Optional[str] = None,
        *,
        on: Optional[str] = None,
        args: Optional[Sequence[str]] = None,
        columns: Optional[Sequence[str]] = None,
        grant_option: bool = False,
        option_only: bool = False,
        sequences: bool = True,
    ) -> None:
        change: Dict[str, Any] = {
            "kind": self.kind,
            "table": _table(table_name, schema),
            "role": role,
            "privileges": [privileges] if isinstance(privileges, str) else list(privileges),
            "grant_option": grant_option,
            "option_only": option_only,
            "sequences": sequences,
        }
        if on is not None:
            change["on"] = on
        if args is not None:
            change["args"] = list(args)
        if columns is not None:
            change["columns"] = list(columns)
        super().__init__(_changes(change))


@_readable("grant_privileges")
class GrantPrivilegesOp(_PrivilegesOp):
    """``GRANT privileges ON TABLE .. TO role``; ``on="sequence"``, ``"function"`` (with
    ``args``) or ``"schema"`` (``schema=``, an empty table name) for other objects,
    ``columns`` for a column grant, ``grant_option`` for ``WITH GRANT OPTION``. On a table,
    INSERT also grants USAGE on its owned sequences unless ``sequences=False``."""

    kind = "grant"


@_readable("revoke_privileges")
class RevokePrivilegesOp(_PrivilegesOp):
    """``REVOKE privileges ON TABLE .. FROM role``."""

    kind = "revoke"


def _function(name: str, kw: Dict[str, Any]) -> Dict[str, Any]:
    """A function in the JSON exchange format, read and checked by the core (so that an
    op's function is exactly what a declaration's would be)."""
    f: Dict[str, Any] = {"name": name, **kw}
    f["schema"] = f.get("schema") or "public"
    f.setdefault("arguments", "")
    schema = Schema.from_json(json.dumps({"functions": [f]}))
    return dict(json.loads(schema.to_json())["functions"][0])


class _FunctionOp(ChangeOp):
    kind = ""

    def __init__(
        self,
        function_name: str,
        *,
        returns: str,
        body: str,
        schema: Optional[str] = None,
        arguments: str = "",
        language: str = "sql",
        volatility: str = "VOLATILE",
        security_definer: bool = False,
        strict: bool = False,
        search_path: Optional[Sequence[str]] = None,
        parallel: str = "UNSAFE",
        leakproof: bool = False,
        cost: Optional[Union[float, str]] = None,
    ) -> None:
        kw: Dict[str, Any] = {
            "schema": schema,
            "arguments": arguments,
            "returns": returns,
            "language": language,
            "volatility": volatility,
            "security_definer": security_definer,
            "strict": strict,
            "parallel": parallel,
            "leakproof": leakproof,
            "cost": cost,
            "body": body,
        }
        if search_path is not None:
            kw["search_path"] = list(search_path)
        super().__init__(_changes({"kind": self.kind, "function": _function(function_name, kw)}))


@_readable("create_function")
class CreateFunctionOp(_FunctionOp):
    """``CREATE OR REPLACE FUNCTION``; the reverse drops it."""

    kind = "create_function"


@_readable("drop_function")
class DropFunctionOp(_FunctionOp):
    """``DROP FUNCTION``; carries the definition so that the reverse creates it again."""

    kind = "drop_function"


@_readable("replace_function")
class ReplaceFunctionOp(ChangeOp):
    """``CREATE OR REPLACE FUNCTION`` with a new definition; ``old`` holds the definition
    the reverse restores."""

    def __init__(self, function_name: str, *, old: Dict[str, Any], **new: Any) -> None:
        to = _function(function_name, new)
        frm = _function(function_name, old)
        super().__init__(_changes({"kind": "replace_function", "from": frm, "to": to}))


@_readable("recreate_function")
class RecreateFunctionOp(ChangeOp):
    """``DROP FUNCTION`` and ``CREATE FUNCTION`` when the result type changes (``CREATE OR
    REPLACE`` cannot): ``policies`` (the core's ``{table, from, to}``) call the function and
    are dropped before and created after; its EXECUTE privileges are kept. ``old`` holds
    the definition the reverse restores."""

    def __init__(
        self,
        function_name: str,
        *,
        old: Dict[str, Any],
        policies: Sequence[Dict[str, Any]] = (),
        **new: Any,
    ) -> None:
        to = _function(function_name, new)
        frm = _function(function_name, old)
        change = {"kind": "recreate_function", "from": frm, "to": to, "policies": list(policies)}
        super().__init__(_changes(change))


class _DefaultPrivilegesOp(ChangeOp):
    kind = ""

    def __init__(
        self,
        on: str,
        role: str,
        privileges: Sequence[str],
        *,
        schema: Optional[str] = None,
        for_role: Optional[str] = None,
        grant_option: bool = False,
        option_only: bool = False,
    ) -> None:
        change: Dict[str, Any] = {
            "kind": self.kind,
            "on": on,
            "role": role,
            "privileges": [privileges] if isinstance(privileges, str) else list(privileges),
            "grant_option": grant_option,
            "option_only": option_only,
        }
        if schema is not None:
            change["schema"] = schema
        if for_role is not None:
            change["owner"] = for_role
        super().__init__(_changes(change))


@_readable("grant_default_privileges")
class GrantDefaultPrivilegesOp(_DefaultPrivilegesOp):
    """``ALTER DEFAULT PRIVILEGES [FOR ROLE for_role] [IN SCHEMA schema] GRANT privileges
    ON tables | sequences | functions | schemas TO role``."""

    kind = "grant_default"


@_readable("revoke_default_privileges")
class RevokeDefaultPrivilegesOp(_DefaultPrivilegesOp):
    """``ALTER DEFAULT PRIVILEGES .. REVOKE privileges ON .. FROM role``."""

    kind = "revoke_default"


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

    # Tables this revision drops: their RLS and policies go first, so that the downgrade
    # (which creates the table again) brings them back.
    dropped: Dict[Tuple[str, str], int] = {}
    for i, op in enumerate(upgrade_ops.ops):
        if isinstance(op, alembic_ops.DropTableOp):
            dropped[(op.schema or default_schema, op.table_name)] = i
    # The user's filters run first: nothing but pgpolicy touches the connection while its
    # catalog is read, beside the declaration being built.
    tables = [t for md in metadatas for t in md.tables.values() if include(t)]
    included = {id(t) for t in tables}
    introspect_schemas = sorted(wanted | {s for s, _ in dropped} | {t.schema or "public" for t in tables})
    opts = autogen_context.migration_context.opts
    limits = _db.timeouts(opts.get("pgpolicy_lock_timeout"), opts.get("pgpolicy_statement_timeout"))

    with _db.reading(conn, introspect_schemas, limits) as read:
        dropping = [
            {"schema": schema, "name": name, "rls": {"enabled": False, "forced": False}, "policies": []}
            for schema, name in dropped
        ]
        declared = Schema.from_json(
            schema_json(metadatas, include_table=lambda t: id(t) in included, extra_tables=dropping)
        )
    current = read.result()
    plan = _db._diff_on(conn, current, declared, None, limits)

    if opts.get("pgpolicy_lint"):
        _lint_at_generation(conn, declared, introspect_schemas, opts)

    before: Dict[int, List[ChangeOp]] = {}
    after: List[ChangeOp] = []
    for change in plan.changes:
        new_ops = [ChangeOp([change])]
        t = change.table
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
        for i, spec in enumerate(_impact_specs(opts.get("pgpolicy_impact"))):
            report = _db.impact_on(
                conn,
                current,
                declared,
                plan,
                spec["role"],
                spec.get("settings"),
                spec.get("sample_limit"),
                limits,
            )
            upgrade_ops.ops.insert(1 + i, ImpactNote(report.comment("# ")))


def _impact_specs(option: Any) -> List[Dict[str, Any]]:
    """`pgpolicy_impact`: one `{"role": ..., "settings": {...}, "sample_limit": n}` or a
    list of them."""
    if option is None:
        return []
    specs = option if isinstance(option, (list, tuple)) else [option]
    for spec in specs:
        if not isinstance(spec, dict) or not isinstance(spec.get("role"), str):
            raise TypeError(
                'pgpolicy_impact: expected {"role": "app_user", "settings": {...}, "sample_limit": n} or a list of them'
            )
    return list(specs)


class ImpactNote(MigrateOperation):
    """The core's impact report (``context.configure(pgpolicy_impact=...)``) as a comment
    block at the top of ``upgrade()``: what the revision changes for a role's rows,
    measured on the database when the revision was generated. Runs nothing; its reverse
    renders nothing."""

    def __init__(self, comment: str = "") -> None:
        self.comment = comment

    def reverse(self) -> "ImpactNote":
        return ImpactNote()

    def to_diff_tuple(self) -> Tuple[Any, ...]:
        return ("pgpolicy_impact",)


@Operations.implementation_for(ImpactNote)
def _run_impact_note(operations: Operations, operation: ImpactNote) -> None:
    pass


@renderers.dispatch_for(ImpactNote)
def _render_impact_note(autogen_context: Any, op: ImpactNote) -> List[str]:
    return op.comment.splitlines()


class LintFailed(Exception):
    """`pgpolicy_lint_fail_on` was set and a finding reached that severity: the revision
    is not written (raised from autogenerate, as `alembic check` raises on drift)."""


def _lint_at_generation(conn: Any, declared: Schema, schemas: List[str], opts: Dict[str, Any]) -> None:
    """`context.configure(pgpolicy_lint=True)`: lints the models' declaration against the
    database (the core's rules, docs/lints.md) while autogenerate runs; each finding is
    logged as a warning. `pgpolicy_lint_config`: a path to a pgpolicy.toml or a dict like
    its [lint] section (default ./pgpolicy.toml when present). `pgpolicy_lint_fail_on`
    ("info", "warning" or "error"): raise `LintFailed` when a finding reaches it."""
    from pgpolicy import _lint

    config = opts.get("pgpolicy_lint_config")
    if config is None and Path("pgpolicy.toml").is_file():
        config = "pgpolicy.toml"
    report = _lint.lint(
        declared,
        db=conn,
        config=config,
        schemas=schemas,
        lock_timeout=opts.get("pgpolicy_lock_timeout"),
        statement_timeout=opts.get("pgpolicy_statement_timeout"),
    )
    for f in report.findings:
        _log.warning("pgpolicy lint: %s %s: %s", f["severity"], f["rule"], f["message"])
    fail_on = opts.get("pgpolicy_lint_fail_on")
    if fail_on and report.fails(fail_on):
        raise LintFailed(f"pgpolicy lint: findings at or above {fail_on}:\n{report.text()}")


def _register_comparator() -> None:
    try:
        from alembic.util import DispatchPriority

        comparators.dispatch_for("schema", priority=DispatchPriority.LAST)(_compare)
    except ImportError:  # Alembic before 1.18: one list, run in registration order
        comparators.dispatch_for("schema")(_compare)


_register_comparator()


class RlsOperations:
    """``op`` for migration scripts, typed: ``from pgpolicy.alembic import op`` in place of
    ``from alembic import op`` (e.g. in ``script.py.mako``) lets mypy check the RLS ops'
    arguments against their signatures. Every attribute is Alembic's ``op`` at run time
    (the RLS ops are registered there; ``create_table``, ``execute``, ... are forwarded)."""

    if TYPE_CHECKING:
        pgpolicy_session: Type[PgpolicySessionOp]
        enable_rls: Type[EnableRlsOp]
        disable_rls: Type[DisableRlsOp]
        force_rls: Type[ForceRlsOp]
        no_force_rls: Type[NoForceRlsOp]
        create_policy: Type[CreatePolicyOp]
        drop_policy: Type[DropPolicyOp]
        alter_policy: Type[AlterPolicyOp]
        rename_policy: Type[RenamePolicyOp]
        comment_on_policy: Type[CommentOnPolicyOp]
        create_role: Type[CreateRoleOp]
        drop_role: Type[DropRoleOp]
        alter_role: Type[AlterRoleOp]
        grant_role: Type[GrantRoleOp]
        revoke_role: Type[RevokeRoleOp]
        alter_role_membership: Type[AlterRoleMembershipOp]
        grant_privileges: Type[GrantPrivilegesOp]
        revoke_privileges: Type[RevokePrivilegesOp]
        grant_default_privileges: Type[GrantDefaultPrivilegesOp]
        create_function: Type[CreateFunctionOp]
        replace_function: Type[ReplaceFunctionOp]
        recreate_function: Type[RecreateFunctionOp]
        drop_function: Type[DropFunctionOp]
        revoke_default_privileges: Type[RevokeDefaultPrivilegesOp]

    def __getattr__(self, name: str) -> Any:
        from alembic import op as alembic_op

        return getattr(alembic_op, name)


#: Alembic's ``op`` with the RLS ops typed (see ``RlsOperations``).
op = RlsOperations()
