"""`lint` and `explain`: what the policies mean (the core's rules, see docs/lints.md), for a
declaration, a database (a URL, or a SQLAlchemy Engine, Connection or Session), or a
declaration checked against the database it will run on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple, Union

from pgpolicy import _native
from pgpolicy._db import Duration, Target, _is_url, connection_of, libpq_url, runner, timeouts
from pgpolicy._native import Explanation, LintReport, Schema

Config = Union[None, str, "os.PathLike[str]", Dict[str, Any]]


def _config(config: Config) -> Union[None, str, Dict[str, Any]]:
    """A dict (shaped like the `[lint]` section) as is; a path: the text of that
    `pgpolicy.toml`."""
    if config is None or isinstance(config, dict):
        return config
    return Path(config).read_text()


def _sides(source: Union[Schema, Target], db: Optional[Target], both: str) -> Tuple[Optional[Schema], Optional[Target]]:
    """The declared schema (if any) and the database to read (if any); `both` is the
    TypeError's message when a database source is given a `db=` as well."""
    if isinstance(source, Schema):
        return source, db
    if db is not None:
        raise TypeError(both)
    return None, source


def lint(
    source: Union[Schema, Target],
    *,
    db: Optional[Target] = None,
    config: Config = None,
    schemas: Optional[Sequence[str]] = None,
    lock_timeout: Optional[Duration] = None,
    statement_timeout: Optional[Duration] = None,
    connect_timeout: Optional[Duration] = None,
) -> LintReport:
    """Lints `source`: a declared `Schema` (offline, or against the database `db`), or a
    database itself. `config` is a `pgpolicy.toml` path or a dict shaped like its `[lint]`
    section (`app_roles`, `admin_roles`, `exposed_schemas`, `rules`, `allow`)."""
    cfg = _config(config)
    t = timeouts(lock_timeout, statement_timeout, connect_timeout)
    names = list(schemas) if schemas else None
    declared, target = _sides(
        source, db, "lint: source is already a database; db= checks a declared Schema against one"
    )
    if target is None:
        assert declared is not None
        return _native.lint_schema(declared, cfg)
    if _is_url(target):
        return _native.lint_url(libpq_url(target), declared, names, cfg, timeouts=t)
    with connection_of(target) as conn:
        return _native.lint_with(runner(conn), declared, names, cfg, timeouts=t)


def explain(
    source: Union[Schema, Target],
    table: str,
    *,
    role: Optional[str] = None,
    command: Optional[str] = None,
    db: Optional[Target] = None,
    schemas: Optional[Sequence[str]] = None,
    lock_timeout: Optional[Duration] = None,
    statement_timeout: Optional[Duration] = None,
    connect_timeout: Optional[Duration] = None,
) -> Explanation:
    """The predicate PostgreSQL applies on `table` for `role` and `command` (default: every
    role the table's policies and grants name, and PUBLIC; every command). In a notebook
    the result shows as a roles × commands matrix."""
    t = timeouts(lock_timeout, statement_timeout, connect_timeout)
    names = list(schemas) if schemas else None
    declared, target = _sides(
        source, db, "explain: source is already a database; db= explains a declared Schema on one"
    )
    if target is None:
        assert declared is not None
        return _native.explain_schema(declared, table, role, command)
    if _is_url(target):
        return _native.explain_url(libpq_url(target), table, declared, role, command, names, timeouts=t)
    with connection_of(target) as conn:
        return _native.explain_with(runner(conn), table, declared, role, command, names, timeouts=t)
