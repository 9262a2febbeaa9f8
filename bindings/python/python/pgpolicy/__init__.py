"""PostgreSQL row-level security as code.

Declare RLS flags, policies, roles and grants (beside SQLAlchemy models, in JSON or in
SQL), and get the exact, ordered, reversible DDL that brings a database to that state::

    import pgpolicy
    desired = pgpolicy.Schema.from_sql_file("schema.sql")
    plan = pgpolicy.plan("postgresql://app@/app?host=/run/postgresql", desired)
    print(plan.sql())
"""

from pgpolicy._db import apply, diff, impact, introspect, plan
from pgpolicy._lint import explain, lint
from pgpolicy._native import (
    Change,
    DatabaseError,
    EmbeddedError,
    Error,
    Explanation,
    Impact,
    LintReport,
    Plan,
    Schema,
    SourceError,
    Step,
    ValidationError,
    WeakeningError,
    __version__,
)


class RlsSkippedWarning(UserWarning):
    """RLS was skipped because the database is not PostgreSQL (SQLite in a test suite)."""


__all__ = [
    "Change",
    "DatabaseError",
    "EmbeddedError",
    "Error",
    "Explanation",
    "Impact",
    "LintReport",
    "Plan",
    "RlsSkippedWarning",
    "Schema",
    "SourceError",
    "Step",
    "ValidationError",
    "WeakeningError",
    "__version__",
    "apply",
    "diff",
    "explain",
    "impact",
    "introspect",
    "lint",
    "plan",
]
