"""RLS declared beside SQLAlchemy models.

Put the declarations in a model's ``__table_args__`` or in a Core ``Table(...)``::

    class User(Base):
        __tablename__ = "users"
        __table_args__ = (
            Policy("tenant_isolation",
                   using="tenant_id = current_setting('app.current_tenant')::integer"),
        )

A policy implies RLS enabled (FORCE is left as the database has it unless
``RowLevelSecurity(force=...)`` declares it). ``schema_from_metadata(Base.metadata)`` is the declared
state for the core; ``metadata.create_all()`` also enables RLS and creates the policies
(after all its tables, so a policy may name a table created later);
``rls_context(session, role=..., settings=...)`` sets the role and settings for the
current transaction only.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from sqlalchemy import Column, MetaData, Table, event, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import CompileError
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ClauseElement, TextClause
from sqlalchemy.sql.expression import column as _column
from sqlalchemy.sql.schema import SchemaItem
from sqlalchemy.sql.selectable import Select

from pgpolicy import RlsSkippedWarning, _db, _native
from pgpolicy._native import Schema, ValidationError

__all__ = [
    "DefaultPrivileges",
    "Function",
    "Grant",
    "LintAllow",
    "Policy",
    "Role",
    "RowLevelSecurity",
    "declare_default_privileges",
    "declare_functions",
    "declare_roles",
    "rls_context",
    "async_rls_context",
    "schema_from_metadata",
    "schema_dict",
    "schema_json",
    "table_declarations",
]

Clause = Union[str, ClauseElement, Callable[[], Any], None]

_PG = postgresql.dialect()
_INFO_KEY = "_pgpolicy_declarations"
_ROLES_KEY = "_pgpolicy_roles"
_DEFAULTS_KEY = "_pgpolicy_default_privileges"
_FUNCTIONS_KEY = "_pgpolicy_functions"


def validation_error(
    code: str,
    message: str,
    *,
    table: Optional[str] = None,
    policy: Optional[str] = None,
    clause: Optional[str] = None,
) -> ValidationError:
    """The core's `ValidationError` for a clause the package cannot turn into SQL text
    (code ``INVALID_EXPRESSION``; the message and fields are the core's, the clause in its
    spelling: ``USING``, ``WITH_CHECK``)."""
    if code != "INVALID_EXPRESSION":
        raise ValueError(f"the package raises only INVALID_EXPRESSION itself, not {code}")
    return _native.invalid_expression(message, table=table, policy=policy, clause=clause)


class _Declarations:
    """What pgpolicy holds for one table (an attribute of the Table, not ``table.info``,
    which Alembic writes into ``create_table``)."""

    def __init__(self) -> None:
        self.rls: Optional[RowLevelSecurity] = None
        self.policies: List[Policy] = []
        self.grants: List[Grant] = []
        self.lint_allow: List[str] = []
        self.listening = False

    @property
    def enabled(self) -> Optional[bool]:
        # RowLevelSecurity declares the flag, a policy implies RLS on; a table with no
        # declaration at all leaves it as the database has it (never turned off implicitly).
        if self.rls is not None:
            return self.rls.enabled
        return True if self.policies else None

    @property
    def forced(self) -> Optional[bool]:
        # FORCE is declared only by RowLevelSecurity(...); a table that has only policies
        # leaves it as the database has it (never turned off implicitly).
        return self.rls.force if self.rls is not None else None


def table_declarations(table: Table) -> _Declarations:
    decl = getattr(table, _INFO_KEY, None)
    if not isinstance(decl, _Declarations):
        decl = _Declarations()
        setattr(table, _INFO_KEY, decl)
    return decl


def _table_name(table: Table) -> str:
    return f"{table.schema or 'public'}.{table.name}"


class _TableItem(SchemaItem):
    """A declaration that attaches to a Table like a constraint does."""

    __visit_name__ = "pgpolicy_declaration"

    def _set_parent(self, parent: Any, **kw: Any) -> None:  # noqa: D401 - SQLAlchemy hook
        if not isinstance(parent, Table):
            raise TypeError(
                f"{type(self).__name__} belongs in a Table (or __table_args__), not {type(parent).__name__}"
            )
        decl = table_declarations(parent)
        self._attach(parent, decl)
        if not decl.listening:
            decl.listening = True
            event.listen(parent, "after_create", _after_create)
        if not getattr(parent.metadata, "_pgpolicy_create_listening", False):
            parent.metadata._pgpolicy_create_listening = True  # type: ignore[attr-defined]
            event.listen(parent.metadata, "after_create", _after_create_all)
        _check_table(parent)

    def _attach(self, table: Table, decl: _Declarations) -> None:
        raise NotImplementedError


class RowLevelSecurity(_TableItem):
    """``ALTER TABLE .. ENABLE ROW LEVEL SECURITY`` (and ``FORCE`` with ``force=True``).

    ``RowLevelSecurity(enabled=False)`` declares RLS off: the only way to turn it off (a
    table with no declaration leaves it as the database has it), and a change that the
    plan marks as weakening protection. The core refuses policies on such a table
    (``POLICY_WITH_RLS_OFF``): they would never apply."""

    def __init__(self, force: bool = False, *, enabled: bool = True) -> None:
        self.force = bool(force)
        self.enabled = bool(enabled)

    def _attach(self, table: Table, decl: _Declarations) -> None:
        decl.rls = self

    def __repr__(self) -> str:
        if not self.enabled:
            return "RowLevelSecurity(enabled=False)"
        return f"RowLevelSecurity(force={self.force!r})"


class LintAllow(_TableItem):
    """The table's inline lint opt-out: ``LintAllow("rls_enabled_no_policy")`` (rule ids,
    or ``"all"``) in ``__table_args__``; the core's lint (docs/lints.md) does not report
    those rules on this table. Unknown rule ids are refused by the core. Never planned."""

    def __init__(self, *rules: str) -> None:
        self.rules = list(rules)

    def _attach(self, table: Table, decl: _Declarations) -> None:
        decl.lint_allow.extend(r for r in self.rules if r not in decl.lint_allow)

    def __repr__(self) -> str:
        return f"LintAllow({', '.join(map(repr, self.rules))})"


class Policy(_TableItem):
    """``CREATE POLICY name ON table AS .. FOR command TO roles USING (..) WITH CHECK (..)``.

    ``using`` and ``with_check`` take SQL text, a SQLAlchemy expression (compiled for
    PostgreSQL with literals inlined; the table's own columns unqualified), or a
    callable returning one (evaluated when the metadata is read, so it may refer to
    mapped classes defined later). ``lint_allow``: lint rules this policy opts out of
    (the declaration's inline opt-out, docs/lints.md).
    """

    def __init__(
        self,
        name: str,
        *,
        using: Clause = None,
        with_check: Clause = None,
        command: str = "ALL",
        roles: Union[str, Sequence[str]] = ("PUBLIC",),
        permissive: bool = True,
        renamed_from: Optional[str] = None,
        comment: Optional[str] = None,
        lint_allow: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.using = using
        self.with_check = with_check
        self.command = command
        self.roles = [roles] if isinstance(roles, str) else list(roles)
        self.permissive = permissive
        self.renamed_from = renamed_from
        self.comment = comment
        self.lint_allow = list(lint_allow)
        self.table: Optional[Table] = None

    def _attach(self, table: Table, decl: _Declarations) -> None:
        if self.table is not None and self.table is not table:
            raise TypeError(f"policy {self.name!r} is already attached to table {_table_name(self.table)}")
        self.table = table
        if self not in decl.policies:
            decl.policies.append(self)

    def to_dict(self, table: Optional[Table] = None, *, compile_expressions: bool = True) -> Dict[str, Any]:
        """The policy in the JSON exchange format."""
        table = table if table is not None else self.table
        out: Dict[str, Any] = {
            "name": self.name,
            "command": self.command,
            "permissive": self.permissive,
            "roles": list(self.roles),
        }
        for key in ("using", "with_check"):
            value = getattr(self, key)
            if compile_expressions or value is None or isinstance(value, str):
                out[key] = _clause_sql(value, table, self.name, key.upper())
            else:
                out[key] = "true"  # a placeholder, enough to check which clauses are present
        if self.comment is not None:
            out["comment"] = self.comment
        if self.renamed_from is not None:
            out["renamed_from"] = self.renamed_from
        if self.lint_allow:
            out["lint_allow"] = list(self.lint_allow)
        return out

    def __repr__(self) -> str:
        return f"Policy({self.name!r}, command={self.command!r})"


class Grant(_TableItem):
    """``GRANT privileges ON TABLE this TO role``, in ``__table_args__``.

    ``columns=["a", "b"]`` grants on those columns only; ``grant_option=True`` adds ``WITH
    GRANT OPTION``. A grant with INSERT also grants USAGE on the table's owned sequences
    (serial and identity columns) unless ``sequences=False``. A target names another
    object instead of the table: ``schema="app"`` (USAGE, CREATE), ``sequence="[schema.]name"``
    (USAGE, SELECT, UPDATE), or ``function="[schema.]name", args=["uuid"]`` (EXECUTE; its
    argument types). An empty privilege list declares that the role holds nothing there:
    ``Grant("PUBLIC", [], function="auth.uid", args=[])`` revokes EXECUTE from PUBLIC."""

    def __init__(
        self,
        role: str,
        privileges: Union[str, Sequence[str]] = ("SELECT",),
        *,
        columns: Optional[Sequence[str]] = None,
        grant_option: bool = False,
        sequences: bool = True,
        schema: Optional[str] = None,
        sequence: Optional[str] = None,
        function: Optional[str] = None,
        args: Optional[Sequence[str]] = None,
    ) -> None:
        self.role = role
        self.privileges = [privileges] if isinstance(privileges, str) else list(privileges)
        self.columns = list(columns) if columns is not None else None
        self.grant_option = grant_option
        self.sequences = sequences
        self.schema = schema
        self.sequence = sequence
        self.function = function
        self.args = list(args) if args is not None else None

    def _attach(self, table: Table, decl: _Declarations) -> None:
        if self not in decl.grants:
            decl.grants.append(self)

    def to_dict(self, table: Table) -> Dict[str, Any]:
        """The grant in the JSON exchange format (the core checks it)."""
        out: Dict[str, Any] = {}
        target = self.sequence if self.sequence is not None else self.function
        if target is not None:
            schema, _, name = target.rpartition(".")
            out["schema"] = schema or self.schema or table.schema or "public"
            out["sequence" if self.sequence is not None else "function"] = name
        elif self.schema is not None:
            out["schema"] = self.schema
        else:
            out["schema"] = table.schema or "public"
            out["table"] = table.name
        if self.args is not None:
            out["args"] = list(self.args)
        if self.columns is not None:
            out["columns"] = list(self.columns)
        out["role"] = self.role
        out["privileges"] = list(self.privileges)
        if self.grant_option:
            out["grant_option"] = True
        if not self.sequences:
            out["sequences"] = False
        return out

    def __repr__(self) -> str:
        return f"Grant({self.role!r}, {self.privileges!r})"


class Role(_TableItem):
    """A role the database should have. Declared in ``__table_args__`` (it belongs to
    the table's MetaData) or with ``declare_roles(metadata, ...)``. Once any role is
    declared, every role a policy or grant names must be declared. Roles are
    cluster-wide: a migration that creates one runs on every database of the cluster
    (an existing role gets the declared attributes) and its downgrade drops the role only
    once nothing else depends on it."""

    def __init__(
        self,
        name: str,
        *,
        login: bool = False,
        inherit: bool = True,
        bypassrls: bool = False,
        member_of: Sequence[Union[str, Mapping[str, Any]]] = (),
        connection_limit: Optional[int] = None,
    ) -> None:
        """``member_of`` lists group names, or ``{"role": group, "admin": True, "inherit":
        False, "set": False}`` for a membership with options (INHERIT and SET need
        PostgreSQL 16)."""
        self.name = name
        self.login = login
        self.inherit = inherit
        self.bypassrls = bypassrls
        self.member_of = [m if isinstance(m, str) else dict(m) for m in member_of]
        self.connection_limit = connection_limit

    def _set_parent(self, parent: Any, **kw: Any) -> None:
        if not isinstance(parent, Table):
            raise TypeError(f"Role belongs in a Table (or __table_args__), not {type(parent).__name__}")
        declare_roles(parent.metadata, self)

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "name": self.name,
            "login": self.login,
            "inherit": self.inherit,
            "bypassrls": self.bypassrls,
            "member_of": list(self.member_of),
        }
        if self.connection_limit is not None:
            out["connection_limit"] = self.connection_limit
        return out

    def __repr__(self) -> str:
        return f"Role({self.name!r})"


def declare_roles(metadata: MetaData, *roles: Role) -> None:
    """Declares roles on a MetaData (the same as placing them in ``__table_args__``)."""
    declared: List[Role] = getattr(metadata, _ROLES_KEY, None) or []
    setattr(metadata, _ROLES_KEY, declared)
    for r in roles:
        if all(r is not d for d in declared):
            declared.append(r)
    if not getattr(metadata, "_pgpolicy_listening", False):
        metadata._pgpolicy_listening = True  # type: ignore[attr-defined]
        event.listen(metadata, "before_create", _before_create_roles)


class DefaultPrivileges:
    """``ALTER DEFAULT PRIVILEGES [FOR ROLE for_role] [IN SCHEMA schema] GRANT privileges ON
    tables | sequences | functions | schemas TO role [WITH GRANT OPTION]``: what objects
    created later get. Declared with ``declare_default_privileges(metadata, ...)``. An
    empty privilege list declares that the role gets nothing
    (``DefaultPrivileges("PUBLIC", [], on="functions")``)."""

    def __init__(
        self,
        role: str,
        privileges: Union[str, Sequence[str]],
        *,
        on: str = "tables",
        schema: Optional[str] = None,
        for_role: Optional[str] = None,
        grant_option: bool = False,
    ) -> None:
        self.role = role
        self.privileges = [privileges] if isinstance(privileges, str) else list(privileges)
        self.on = on
        self.schema = schema
        self.for_role = for_role
        self.grant_option = grant_option

    def to_dict(self) -> Dict[str, Any]:
        """The entry in the JSON exchange format (the core checks it)."""
        out: Dict[str, Any] = {"on": self.on, "role": self.role, "privileges": list(self.privileges)}
        if self.schema is not None:
            out["schema"] = self.schema
        if self.for_role is not None:
            out["for_role"] = self.for_role
        if self.grant_option:
            out["grant_option"] = True
        return out

    def __repr__(self) -> str:
        return f"DefaultPrivileges({self.role!r}, {self.privileges!r}, on={self.on!r})"


class Function(_TableItem):
    """A function policies call (``current_user_id()``, ``auth.uid()``), declared beside
    them: ``Function("current_user_id", returns="uuid", body="SELECT ...",
    volatility="STABLE", security_definer=True, search_path=["public", "pg_temp"])``, in
    ``__table_args__`` or with ``declare_functions(metadata, ...)``. Autogenerate writes
    ``op.create_function`` before the policies calling it, ``op.replace_function`` (``CREATE
    OR REPLACE``) when its definition changes, and drops it after them. ``arguments`` is the
    argument list as written between the parentheses (``"account uuid, role text"``)."""

    def __init__(
        self,
        name: str,
        *,
        returns: str,
        body: str,
        arguments: str = "",
        schema: Optional[str] = None,
        language: str = "sql",
        volatility: str = "VOLATILE",
        security_definer: bool = False,
        strict: bool = False,
        search_path: Optional[Sequence[str]] = None,
        parallel: str = "UNSAFE",
        leakproof: bool = False,
        cost: Optional[float] = None,
    ) -> None:
        self.name = name
        self.parallel = parallel
        self.leakproof = leakproof
        self.cost = cost
        self.returns = returns
        self.body = body
        self.arguments = arguments
        self.schema = schema
        self.language = language
        self.volatility = volatility
        self.security_definer = security_definer
        self.strict = strict
        self.search_path = list(search_path) if search_path is not None else None

    def _set_parent(self, parent: Any, **kw: Any) -> None:
        if not isinstance(parent, Table):
            raise TypeError(f"Function belongs in a Table (or __table_args__), not {type(parent).__name__}")
        declare_functions(parent.metadata, self)

    def to_dict(self) -> Dict[str, Any]:
        """The function in the JSON exchange format (the core checks it)."""
        out: Dict[str, Any] = {
            "schema": self.schema or "public",
            "name": self.name,
            "arguments": self.arguments,
            "returns": self.returns,
            "language": self.language,
            "volatility": self.volatility,
            "security_definer": self.security_definer,
            "strict": self.strict,
            "parallel": self.parallel,
            "leakproof": self.leakproof,
            "body": self.body,
        }
        if self.cost is not None:
            out["cost"] = self.cost
        if self.search_path is not None:
            out["search_path"] = list(self.search_path)
        return out

    def __repr__(self) -> str:
        return f"Function({self.name!r})"


def declare_functions(metadata: MetaData, *functions: Function) -> None:
    """Declares functions on a MetaData (the same as placing them in ``__table_args__``)."""
    declared: List[Function] = getattr(metadata, _FUNCTIONS_KEY, None) or []
    setattr(metadata, _FUNCTIONS_KEY, declared)
    for f in functions:
        if all(f is not d for d in declared):
            declared.append(f)


def declare_default_privileges(metadata: MetaData, *entries: DefaultPrivileges) -> None:
    """Declares default privileges on a MetaData (autogenerate and ``create_all`` apply
    them)."""
    declared: List[DefaultPrivileges] = getattr(metadata, _DEFAULTS_KEY, None) or []
    setattr(metadata, _DEFAULTS_KEY, declared)
    for d in entries:
        if all(d is not x for x in declared):
            declared.append(d)
    if not getattr(metadata, "_pgpolicy_listening", False):
        metadata._pgpolicy_listening = True  # type: ignore[attr-defined]
        event.listen(metadata, "before_create", _before_create_roles)


def _clause_sql(value: Clause, table: Optional[Table], policy: str, clause: str) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if callable(value) and not isinstance(value, ClauseElement):
        value = value()
        if value is None or isinstance(value, str):
            return value
    if isinstance(value, TextClause):
        return value.text
    expr = getattr(value, "__clause_element__", lambda: value)()
    if not isinstance(expr, ClauseElement):
        raise validation_error(
            "INVALID_EXPRESSION",
            f"expected SQL text or a SQLAlchemy expression, got {type(value).__name__}",
            table=_table_name(table) if table is not None else None,
            policy=policy,
            clause=clause,
        )

    def own_column(el: Any) -> Any:
        # Columns of the policy's own table are written unqualified at the top level, as
        # PostgreSQL prints them. Inside a sub-select they stay qualified: there an
        # unqualified name would bind to the sub-select's own table first
        # (`memberships.document_id = id` reads `memberships.id`).
        if isinstance(el, Select):
            return el
        if isinstance(el, Column) and table is not None and el.table is table:
            return _column(el.name, type_=el.type)
        return None

    expr = visitors.replacement_traverse(expr, {}, own_column)  # type: ignore[call-overload]
    try:
        if table is None:
            return str(expr.compile(dialect=_PG, compile_kwargs={"literal_binds": True}))
        # Compiled as the WHERE clause of a query on the policy's table, so that a
        # sub-select correlates to it (no second `documents` in the sub-select's FROM).
        compiler = _PG.statement_compiler(_PG, None)
        compiler.stack.append({"correlate_froms": {table}, "asfrom_froms": {table}, "selectable": select(table)})
        return str(compiler.process(expr, literal_binds=True))
    except CompileError as e:
        raise validation_error(
            "INVALID_EXPRESSION",
            f"cannot compile the expression for PostgreSQL: {e}",
            table=_table_name(table) if table is not None else None,
            policy=policy,
            clause=clause,
        ) from e


def _column_type(col: Column) -> Optional[str]:
    try:
        return str(col.type.compile(dialect=_PG))
    except (CompileError, NotImplementedError, AttributeError):
        return None


def table_dict(table: Table, *, compile_expressions: bool = True) -> Dict[str, Any]:
    """One table in the JSON exchange format."""
    decl = getattr(table, _INFO_KEY, None)
    decl = decl if isinstance(decl, _Declarations) else _Declarations()
    columns = []
    for col in table.columns:
        t = _column_type(col)
        if t is not None:
            columns.append({"name": col.name, "type": t, "nullable": bool(col.nullable)})
    return {
        "schema": table.schema or "public",
        "name": table.name,
        "columns": columns,
        "rls": {"enabled": decl.enabled, "forced": decl.forced},
        "policies": [p.to_dict(table, compile_expressions=compile_expressions) for p in decl.policies],
        **({"lint_allow": list(decl.lint_allow)} if decl.lint_allow else {}),
    }


def _declared(
    mds: Sequence[MetaData], include_table: Optional[Callable[[Table], bool]]
) -> Iterator[Tuple[str, Dict[str, Any]]]:
    """The declared state of `mds`, one entry at a time as (key, entry) in the JSON
    exchange format: each included table and its grants, then the MetaData's roles,
    default privileges and functions."""
    for md in mds:
        for table in md.tables.values():
            if include_table is not None and not include_table(table):
                continue
            yield "tables", table_dict(table)
            decl = getattr(table, _INFO_KEY, None)
            if isinstance(decl, _Declarations):
                for g in decl.grants:
                    yield "grants", g.to_dict(table)
        for key, attr in (("roles", _ROLES_KEY), ("default_privileges", _DEFAULTS_KEY), ("functions", _FUNCTIONS_KEY)):
            for x in getattr(md, attr, None) or ():
                yield key, x.to_dict()


def schema_dict(
    metadata: MetaData,
    *,
    include_table: Optional[Callable[[Table], bool]] = None,
) -> Dict[str, Any]:
    """The declared state in the JSON exchange format: every table of the metadata (a
    table without declarations has RLS off and no policies), the declared roles, and the
    grants."""
    out: Dict[str, Any] = {"tables": [], "grants": []}
    for key, entry in _declared([metadata], include_table):
        out.setdefault(key, []).append(entry)
    return out


def schema_json(
    metadata: Union[MetaData, Sequence[MetaData]],
    *,
    include_table: Optional[Callable[[Table], bool]] = None,
    extra_tables: Sequence[Mapping[str, Any]] = (),
) -> str:
    """`schema_dict` of one or more MetaData (their tables and grants in order, then
    `extra_tables`), as JSON text written entry by entry: no container outlives its
    entry, so that a large model read inside a large process (Alembic's, after its
    reflection) does not set off the garbage collector's full passes."""
    mds = [metadata] if isinstance(metadata, MetaData) else list(metadata)
    parts: Dict[str, List[str]] = {"tables": [], "grants": [], "roles": [], "default_privileges": [], "functions": []}
    for key, entry in _declared(mds, include_table):
        parts[key].append(json.dumps(entry))
    parts["tables"].extend(json.dumps(t) for t in extra_tables)
    return (
        "{"
        + ", ".join(
            f'"{key}": [' + ", ".join(items) + "]"
            for key, items in parts.items()
            if items or key in ("tables", "grants")
        )
        + "}"
    )


def schema_from_metadata(
    metadata: MetaData,
    *,
    include_table: Optional[Callable[[Table], bool]] = None,
) -> Schema:
    """The declared RLS state of a MetaData as a core Schema (validated: raises
    ``pgpolicy.ValidationError`` naming the table, the policy and the clause; a column
    that the policy's tables do not have is ``UNKNOWN_COLUMN``, with a "did you mean")."""
    text = schema_json(metadata, include_table=include_table)
    schema = Schema.from_json(text)
    # The models know their columns: a column no table has is an error now, not at upgrade.
    _native.check_columns(text)
    return schema


def _check_table(table: Table) -> None:
    """Validates one table's declarations as soon as they are attached, so that a bad
    declaration fails where the model is defined. Expressions given as SQLAlchemy
    objects are checked when the metadata is read."""
    _native.validate_json(json.dumps({"tables": [table_dict(table, compile_expressions=False)]}))


_warned = False


def warn_skipped(dialect_name: str, what: str) -> None:
    """One warning per process: RLS is PostgreSQL's; other databases get none of it."""
    global _warned
    if _warned:
        return
    _warned = True
    warnings.warn(
        f"pgpolicy: {what} skipped on {dialect_name}: row-level security exists only in PostgreSQL "
        "(this warning is shown once)",
        RlsSkippedWarning,
        stacklevel=3,
    )


def _after_create(table: Table, connection: Any, **kw: Any) -> None:
    if kw.get("_is_metadata_operation"):
        return  # create_all: the MetaData's after_create does it, once every table exists
    _create_rls(connection, [table])


def _after_create_all(metadata: MetaData, connection: Any, tables: Sequence[Table] = (), **kw: Any) -> None:
    # After every table of create_all exists: a policy may name a table created later.
    _create_rls(connection, [t for t in tables if isinstance(getattr(t, _INFO_KEY, None), _Declarations)])


def _create_rls(connection: Any, tables: Sequence[Table]) -> None:
    """RLS, policies and grants of the tables just created, as one core plan."""
    if not tables:
        return
    if connection.dialect.name != "postgresql":
        warn_skipped(connection.dialect.name, "row-level security")
        return
    desired: Dict[str, Any] = {"tables": [table_dict(t) for t in tables], "grants": []}
    for t in tables:
        decl = getattr(t, _INFO_KEY, None)
        if isinstance(decl, _Declarations):
            desired["grants"].extend(g.to_dict(t) for g in decl.grants)
    roles = getattr(tables[0].metadata, _ROLES_KEY, None)
    if roles:
        desired["roles"] = [r.to_dict() for r in roles]
    schema = Schema.from_json(json.dumps(desired))
    _db.apply(connection, schema, schemas=schema.schema_names())


def _before_create_roles(metadata: MetaData, connection: Any, **kw: Any) -> None:
    if connection.dialect.name != "postgresql":
        return
    roles = getattr(metadata, _ROLES_KEY, None)
    defaults = getattr(metadata, _DEFAULTS_KEY, None)
    if roles or defaults:
        part: Dict[str, Any] = {}
        if roles:
            part["roles"] = [r.to_dict() for r in roles]
        if defaults:
            part["default_privileges"] = [d.to_dict() for d in defaults]
        desired = Schema.from_json(json.dumps(part))
        _db.apply(connection, desired, schemas=desired.schema_names())


# --- The transaction-local RLS context -------------------------------------------------


def _statement(sql: str, params: Sequence[Optional[str]]) -> Tuple[TextClause, Dict[str, Any]]:
    """One of the core's context statements as a SQLAlchemy text clause. A core statement
    with parameters carries no text but its ``$n`` placeholders; one without parameters
    may carry a quoted role name, whose colons must not read as bind parameters."""
    if not params:
        return text(sql.replace(":", "\\:")), {}
    return (
        text(re.sub(r"\$(\d+)", r":p\1", sql)),
        {f"p{i + 1}": v for i, v in enumerate(params)},
    )


def _is_async(target: Any) -> bool:
    return type(target).__name__ in ("AsyncSession", "AsyncConnection", "async_scoped_session")


def _is_autocommit(conn: Any) -> bool:
    check = getattr(conn, "_is_autocommit_isolation", None)
    if check is not None:
        return bool(check())
    return conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


class rls_context:
    """Sets the role and settings for the current transaction only::

        with Session(engine) as session, session.begin():
            with rls_context(session, role="app_user", settings={"app.current_tenant": "1"}):
                session.scalars(select(User)).all()

    ``SET LOCAL ROLE`` (quoted) and ``set_config(name, value, true)`` with bound values, as
    the core writes them: nothing outlives the transaction, so nothing leaks into a pooled
    connection. Contexts nest: the inner one overrides, and on exit the outer role and
    settings are restored. Works with Session and Connection (``with``) and AsyncSession
    and AsyncConnection (``async with``).

    It fails closed: an AUTOCOMMIT connection (where ``SET LOCAL`` would end with its own
    statement) is refused with ``pgpolicy.Error``; after a ``commit()`` or ``rollback()``
    inside the block, the role and settings are set again as the next transaction begins;
    an exception raised inside the block propagates unchanged.
    """

    def __init__(
        self,
        target: Any,
        role: Optional[str] = None,
        settings: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.target = target
        self.role = role
        self.settings: Dict[str, Optional[str]] = {
            k: (None if v is None else str(v)) for k, v in (settings or {}).items()
        }
        # The core's statements; a setting name that is not `prefix.name` is refused here.
        enter, snapshot = _native.context_statements(role, list(self.settings.items()))
        self._enter = [_statement(sql, params) for sql, params in enter]
        self._snapshot = _statement(*snapshot)
        self._restore: List[Tuple[TextClause, Dict[str, Any]]] = []
        self._sync: Any = None
        self._listener: Optional[Tuple[Any, str, Callable[..., None]]] = None
        self._skipped = False

    def _is_session(self) -> bool:
        return not hasattr(self._sync, "exec_driver_sql")

    def _apply(self, conn: Any) -> None:
        for stmt, params in self._enter:
            conn.execute(stmt, params)

    def _listen(self) -> None:
        # A commit or rollback inside the block ends the transaction and with it the role
        # and settings: set them again when the next one begins.
        if self._is_session():

            def after_begin(session: Any, transaction: Any, connection: Any) -> None:
                if not transaction.nested:
                    self._apply(connection)

            self._listener = (self._sync, "after_begin", after_begin)
        else:

            def begin(connection: Any) -> None:
                self._apply(connection)

            self._listener = (self._sync, "begin", begin)
        event.listen(*self._listener)

    def _unlisten(self) -> None:
        if self._listener is not None:
            event.remove(*self._listener)
            self._listener = None

    def _enter_sync(self, target: Any) -> None:
        self._sync = target
        conn = target.connection() if self._is_session() else target
        if conn.dialect.name != "postgresql":
            self._skipped = True
            warn_skipped(conn.dialect.name, "rls_context")
            return
        if _is_autocommit(conn):
            raise _native.Error(
                "rls_context needs a transaction, and this connection is in AUTOCOMMIT mode "
                '(isolation_level="AUTOCOMMIT"): SET LOCAL ROLE and set_config(.., true) would end '
                "with their own statement and every query would run as the login role. Use a "
                'connection that is not AUTOCOMMIT (e.g. engine.execution_options(isolation_level="READ COMMITTED")).'
            )
        row = conn.execute(*self._snapshot).one()
        self._remember(row)
        self._apply(conn)
        self._listen()

    def _exit_sync(self, target: Any, failed: bool) -> None:
        if self._skipped:
            return
        self._unlisten()
        try:
            if not target.in_transaction():
                return  # the transaction is gone, and with it everything set here
            if self._is_session():
                if not target.is_active:
                    return  # a failed transaction; its rollback undoes everything set here
                conn = target.connection()
            else:
                conn = target
            for stmt, params in self._restore:
                conn.execute(stmt, params)
        except Exception:
            if not failed:
                raise
            # The block failed: its error is the one to see (the failed transaction is rolled
            # back, and everything set here with it).

    def _remember(self, row: Sequence[Any]) -> None:
        restore = _native.context_restore(self.role, list(self.settings.items()), list(row))
        self._restore = [_statement(sql, params) for sql, params in restore]

    def __enter__(self) -> "rls_context":
        if _is_async(self.target):
            raise TypeError("use `async with rls_context(...)` with an AsyncSession or AsyncConnection")
        self._enter_sync(self.target)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._exit_sync(self._sync, exc_type is not None)

    async def __aenter__(self) -> "rls_context":
        await self.target.run_sync(self._enter_sync)
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        failed = exc_type is not None
        try:
            await self.target.run_sync(lambda sync: self._exit_sync(sync, failed))
        except Exception:
            if not failed:
                raise


def async_rls_context(
    target: Any, role: Optional[str] = None, settings: Optional[Mapping[str, Any]] = None
) -> rls_context:
    """``async with async_rls_context(async_session, ...)``: the same as ``rls_context``."""
    return rls_context(target, role=role, settings=settings)
