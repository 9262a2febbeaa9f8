"""Stubs for the native module (checked by `python -m mypy.stubtest pgpolicy._native`)."""

from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Dict, List, Literal, Optional, Sequence, Tuple, TypedDict, Union, final

__all__ = [
    "Change",
    "DEFAULT_RETRIES",
    "DatabaseError",
    "EmbeddedError",
    "EmbeddedPostgres",
    "Error",
    "Explanation",
    "Impact",
    "LintReport",
    "Plan",
    "SEARCH_PATH",
    "Schema",
    "SourceError",
    "Step",
    "Timeouts",
    "ValidationError",
    "WeakeningError",
    "__version__",
    "apply_url",
    "apply_with",
    "catalog_query",
    "change_describe",
    "change_reverse",
    "change_sql",
    "change_weakens",
    "check_columns",
    "context_restore",
    "context_statements",
    "diff",
    "diff_url",
    "diff_with",
    "explain_schema",
    "explain_url",
    "explain_with",
    "impact_url",
    "impact_with",
    "introspect_url",
    "introspect_with",
    "invalid_expression",
    "lint_rules",
    "lint_schema",
    "lint_url",
    "lint_with",
    "policy_tests_url",
    "policy_tests_with",
    "validate_json",
]

__version__: str
SEARCH_PATH: str
DEFAULT_RETRIES: int

_Duration = Union[str, timedelta]
#: `run(sql, fetch)`: runs one statement on the caller's connection; returns its rows
#: (sequences of text or None) when `fetch`; raises on a database error (its `sqlstate`
#: or `pgcode`, or its `orig`'s, is read as the SQLSTATE).
_Run = Callable[[str, bool], Optional[Sequence[Sequence[Optional[str]]]]]

#: A clause as the core spells it (the same in every binding).
_ClauseName = Literal["NAME", "COMMAND", "ROLES", "USING", "WITH_CHECK", "TABLE", "ROLE", "GRANT"]
_ChangeKind = Literal[
    "create_role",
    "alter_role",
    "drop_role",
    "grant_membership",
    "revoke_membership",
    "alter_membership",
    "grant",
    "revoke",
    "grant_default",
    "revoke_default",
    "create_function",
    "replace_function",
    "recreate_function",
    "drop_function",
    "enable_rls",
    "disable_rls",
    "force_rls",
    "no_force_rls",
    "create_policy",
    "drop_policy",
    "rename_policy",
    "alter_policy",
    "replace_policy",
    "comment_on_policy",
]

class _TableRef(TypedDict):
    schema: str
    name: str

class _PolicyDict(TypedDict, total=False):
    name: str
    command: str
    permissive: bool
    roles: List[str]
    using: Optional[str]
    with_check: Optional[str]
    comment: Optional[str]
    renamed_from: Optional[str]

class _RoleDict(TypedDict, total=False):
    name: str
    login: bool
    inherit: bool
    bypassrls: bool
    member_of: List[str]
    membership_options: Dict[str, Dict[str, bool]]

_ClauseChange = TypedDict(
    "_ClauseChange",
    {
        "clause": _ClauseName,
        "from": Optional[str],
        "to": Optional[str],
        "from_canonical": Optional[str],
        "to_canonical": Optional[str],
    },
    total=False,
)

class _ValidationErrorDict(TypedDict):
    code: str
    table: Optional[str]
    policy: Optional[str]
    clause: Optional[_ClauseName]
    message: str

class Error(Exception):
    """Base class of every pgpolicy error. Those the core raises carry `code` (e.g.
    `INSERT_WITH_USING`, `DATABASE`, `WEAKENS`), `table`, `policy`, `clause` (None unless a
    validation error names them) and `errors` (every validation error)."""

    code: str
    table: Optional[str]
    policy: Optional[str]
    clause: Optional[_ClauseName]
    errors: List[_ValidationErrorDict]

class ValidationError(Error):
    """Invalid declarations; names the table, the policy and the clause."""

    message: str

class SourceError(Error): ...
class DatabaseError(Error): ...
class EmbeddedError(Error): ...

class WeakeningError(Error):
    """A plan that weakens protection, refused because weakening was not allowed (`code`
    is `WEAKENS`)."""

@final
class Timeouts:
    def __new__(
        cls,
        *,
        lock: Optional[_Duration] = None,
        statement: Optional[_Duration] = None,
        connect: Optional[_Duration] = None,
    ) -> Timeouts: ...
    @property
    def lock(self) -> timedelta: ...
    @property
    def statement(self) -> timedelta: ...
    @property
    def connect(self) -> timedelta: ...
    def pins(self) -> List[str]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Schema:
    @staticmethod
    def from_json(text: str) -> Schema: ...
    @staticmethod
    def from_sql(text: str) -> Schema: ...
    @staticmethod
    def from_sql_file(path: Union[str, Path]) -> Schema: ...
    @staticmethod
    def from_catalog_rows(rows: Sequence[Sequence[Optional[str]]]) -> Schema: ...
    @staticmethod
    def empty() -> Schema: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    @property
    def tables(self) -> List[Dict[str, Any]]: ...
    @property
    def policies(self) -> List[Dict[str, Any]]: ...
    @property
    def roles(self) -> List[Dict[str, Any]]: ...
    @property
    def grants(self) -> List[Dict[str, Any]]: ...
    @property
    def default_privileges(self) -> List[Dict[str, Any]]: ...
    @property
    def warnings(self) -> List[str]: ...
    @property
    def is_introspected(self) -> bool: ...
    def schema_names(self) -> List[str]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def _repr_html_(self) -> str: ...

@final
class Plan:
    def sql(self, timeouts: Optional[Timeouts] = None) -> str: ...
    def preamble(self, timeouts: Optional[Timeouts] = None) -> List[str]: ...
    def weakening(self) -> List[str]: ...
    def check_weakening(self, allow: bool = False) -> None: ...
    @property
    def warnings(self) -> List[str]: ...
    def reverse_sql(self) -> str: ...
    def reverse(self) -> Plan: ...
    def statements(self) -> List[str]: ...
    @property
    def changes(self) -> List[Change]: ...
    def steps(self) -> List[Step]: ...
    def to_json(self) -> str: ...
    def __bool__(self) -> bool: ...
    def __len__(self) -> int: ...
    def _repr_html_(self) -> str: ...

@final
class Change:
    """One change of a plan (the core's): `kind` and the fields of that kind (None where
    the kind has none); SQL, reverse, description and weakening are the core's."""

    @staticmethod
    def from_dict(change: Dict[str, Any]) -> Change: ...
    @staticmethod
    def from_json(text: str) -> Change: ...
    @property
    def kind(self) -> _ChangeKind: ...
    @property
    def table(self) -> Optional[_TableRef]: ...
    @property
    def policy(self) -> Any:
        """`create_policy` / `drop_policy`: a `_PolicyDict`; `comment_on_policy`: the name."""
    @property
    def role(self) -> Any:
        """`create_role` / `drop_role`: a `_RoleDict`; `grant` / `revoke`: the grantee."""
    @property
    def group(self) -> Optional[str]: ...
    @property
    def member(self) -> Optional[str]: ...
    @property
    def privileges(self) -> Optional[List[str]]: ...
    @property
    def from_(self) -> Any:
        """Before: a `_PolicyDict` (alter/replace_policy), a `_RoleDict` (alter_role), the old
        name (rename_policy) or comment (comment_on_policy)."""
    @property
    def to(self) -> Any:
        """After (see `from_`)."""
    @property
    def clauses(self) -> Optional[List[_ClauseChange]]: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def weakens(self) -> Optional[str]: ...
    @property
    def phase(self) -> int: ...
    def sql(self) -> List[str]: ...
    def reverse(self) -> Change: ...
    def describe(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self) -> str: ...
    def __getitem__(self, key: str, /) -> Any: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Step:
    @property
    def change(self) -> Change: ...
    @property
    def description(self) -> str: ...
    @property
    def comment(self) -> str: ...
    @property
    def sql(self) -> List[str]: ...
    @property
    def reverse(self) -> List[str]: ...
    @property
    def weakens(self) -> Optional[str]: ...
    @property
    def phase(self) -> int: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __getitem__(self, key: str, /) -> Any: ...

@final
class EmbeddedPostgres:
    def __new__(cls) -> EmbeddedPostgres: ...
    @property
    def socket_dir(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def running(self) -> bool: ...
    def url(self, dbname: str = "postgres") -> str: ...
    def create_database(self, name: str) -> str: ...
    def psql(self, sql: str, dbname: str = "postgres") -> str: ...
    def stop(self) -> None: ...
    def __enter__(self) -> EmbeddedPostgres: ...
    def __exit__(self, *_args: object) -> bool: ...

def diff(current: Schema, desired: Schema, *, prune: Optional[bool] = None) -> Plan: ...
def diff_url(
    url: str,
    current: Schema,
    desired: Schema,
    *,
    prune: Optional[bool] = None,
    timeouts: Optional[Timeouts] = None,
) -> Plan: ...
def diff_with(
    run: _Run,
    current: Schema,
    desired: Schema,
    *,
    prune: Optional[bool] = None,
    timeouts: Optional[Timeouts] = None,
) -> Plan: ...
def introspect_url(url: str, schemas: Optional[List[str]] = None, *, timeouts: Optional[Timeouts] = None) -> Schema: ...
def introspect_with(
    run: _Run, schemas: Optional[List[str]] = None, *, timeouts: Optional[Timeouts] = None
) -> Schema: ...
def apply_url(
    url: str,
    plan: Plan,
    *,
    allow_weaken: bool = False,
    timeouts: Optional[Timeouts] = None,
    retries: Optional[int] = None,
) -> None: ...
def apply_with(
    run: _Run,
    plan: Plan,
    *,
    allow_weaken: bool = False,
    timeouts: Optional[Timeouts] = None,
    retries: Optional[int] = None,
) -> None: ...
def catalog_query(schemas: Optional[List[str]] = None) -> str: ...
def change_sql(change: Union[Change, Dict[str, Any]]) -> List[str]: ...
def change_describe(change: Union[Change, Dict[str, Any]]) -> str: ...
def change_reverse(change: Union[Change, Dict[str, Any]]) -> Change: ...
def change_weakens(change: Union[Change, Dict[str, Any]]) -> Optional[str]: ...
def invalid_expression(
    message: str, *, table: Optional[str] = None, policy: Optional[str] = None, clause: Optional[str] = None
) -> ValidationError: ...
def validate_json(text: str) -> None: ...
def context_statements(
    role: Optional[str], settings: List[Tuple[str, Optional[str]]]
) -> Tuple[List[Tuple[str, List[Optional[str]]]], Tuple[str, List[Optional[str]]]]: ...
def context_restore(
    role: Optional[str], settings: List[Tuple[str, Optional[str]]], row: List[Optional[str]]
) -> List[Tuple[str, List[Optional[str]]]]: ...
def check_columns(text: str) -> None: ...

class _Finding(TypedDict, total=False):
    rule: str
    severity: Literal["info", "warning", "error"]
    table: str
    policy: str
    role: str
    object: str
    message: str
    fix: str

class _Effective(TypedDict, total=False):
    role: str
    command: Literal["SELECT", "INSERT", "UPDATE", "DELETE"]
    verdict: Literal["no_rls", "bypass", "no_privilege", "deny_all", "filtered"]
    reason: str
    using: str
    with_check: str
    permissive: List[str]
    restrictive: List[str]

@final
class LintReport:
    @property
    def findings(self) -> List[_Finding]: ...
    @property
    def skipped(self) -> List[str]: ...
    def fails(self, level: str = "warning") -> bool: ...
    def text(self) -> str: ...
    def sarif(self, artifact: Optional[str] = None) -> str: ...
    def to_json(self) -> str: ...
    def __len__(self) -> int: ...
    def _repr_html_(self) -> str: ...

@final
class Explanation:
    @property
    def table(self) -> str: ...
    @property
    def rls_enabled(self) -> bool: ...
    @property
    def rls_forced(self) -> bool: ...
    @property
    def owner(self) -> Optional[str]: ...
    @property
    def entries(self) -> List[_Effective]: ...
    def text(self) -> str: ...
    def to_json(self) -> str: ...
    def _repr_html_(self) -> str: ...

_LintConfig = Union[None, str, Dict[str, Any]]

def lint_schema(schema: Schema, config: _LintConfig = None) -> LintReport: ...
def lint_url(
    url: str,
    schema: Optional[Schema] = None,
    schemas: Optional[List[str]] = None,
    config: _LintConfig = None,
    *,
    timeouts: Optional[Timeouts] = None,
) -> LintReport: ...
def lint_with(
    run: _Run,
    schema: Optional[Schema] = None,
    schemas: Optional[List[str]] = None,
    config: _LintConfig = None,
    *,
    timeouts: Optional[Timeouts] = None,
) -> LintReport: ...
def explain_schema(
    schema: Schema, table: str, role: Optional[str] = None, command: Optional[str] = None
) -> Explanation: ...
def explain_url(
    url: str,
    table: str,
    schema: Optional[Schema] = None,
    role: Optional[str] = None,
    command: Optional[str] = None,
    schemas: Optional[List[str]] = None,
    *,
    timeouts: Optional[Timeouts] = None,
) -> Explanation: ...
def explain_with(
    run: _Run,
    table: str,
    schema: Optional[Schema] = None,
    role: Optional[str] = None,
    command: Optional[str] = None,
    schemas: Optional[List[str]] = None,
    *,
    timeouts: Optional[Timeouts] = None,
) -> Explanation: ...
def lint_rules() -> List[Dict[str, Any]]: ...

class _Outcome(TypedDict):
    name: str
    passed: bool
    detail: str

def policy_tests_url(url: str, tests: str, *, timeouts: Optional[Timeouts] = None) -> List[_Outcome]: ...
def policy_tests_with(run: _Run, tests: str, *, timeouts: Optional[Timeouts] = None) -> List[_Outcome]: ...

class _ImpactSide(TypedDict):
    verdict: Literal["no_rls", "bypass", "no_privilege", "deny_all", "filtered"]
    predicate: str
    reason: str
    rows: int

class _CheckImpact(TypedDict):
    check: Literal["select", "update", "delete", "insert_check", "update_check"]
    command: Literal["SELECT", "INSERT", "UPDATE", "DELETE"]
    proxy: bool
    before: _ImpactSide
    after: _ImpactSide
    gained: int
    lost: int

class _TableImpact(TypedDict):
    table: str
    rows: int
    rows_estimated: bool
    evaluated: int
    sampled: bool
    checks: List[_CheckImpact]

@final
class Impact:
    @property
    def role(self) -> str: ...
    @property
    def settings(self) -> Dict[str, str]: ...
    @property
    def sample_limit(self) -> int: ...
    @property
    def tables(self) -> List[_TableImpact]: ...
    @property
    def skipped(self) -> List[str]: ...
    @property
    def notes(self) -> List[str]: ...
    def headlines(self) -> List[str]: ...
    def text(self) -> str: ...
    def comment(self, prefix: str = "# ") -> str: ...
    def to_json(self) -> str: ...

def impact_url(
    url: str,
    current: Schema,
    desired: Schema,
    plan: Plan,
    role: str,
    settings: Optional[List[Tuple[str, str]]] = None,
    sample_limit: Optional[int] = None,
    *,
    timeouts: Optional[Timeouts] = None,
) -> Impact: ...
def impact_with(
    run: _Run,
    current: Schema,
    desired: Schema,
    plan: Plan,
    role: str,
    settings: Optional[List[Tuple[str, str]]] = None,
    sample_limit: Optional[int] = None,
    *,
    timeouts: Optional[Timeouts] = None,
) -> Impact: ...
