"""Every corpus policy declared on models: against a database where the policies
already exist, autogenerate has no RLS op (the core's canonicalizer, then PostgreSQL's
own printing for what it cannot settle)."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations
from alembic.migration import MigrationContext
from conftest import corpus_dir

import pgpolicy
from pgpolicy.alembic import _RlsOp
from pgpolicy.sqlalchemy import Policy
from pgpolicy.testing import EmbeddedPostgres

CORPUS = corpus_dir()


def corpus_policies() -> List[Dict[str, Any]]:
    return [json.loads(line) for line in (CORPUS / "policies.jsonl").read_text().splitlines() if line.strip()]


def test_corpus_policies_declared_on_models_give_no_ops(pg: EmbeddedPostgres, db: str, engine: sa.Engine) -> None:
    policies = corpus_policies()
    pg.psql((CORPUS / "schema.sql").read_text(), db)
    pg.psql("\n".join(p["sql"] for p in policies), db)

    schemas = sorted({p["schema"] for p in policies} | {"public"})
    md = sa.MetaData()
    for schema in schemas:
        md.reflect(engine, schema=None if schema == "public" else schema)
    # Each policy goes on its (reflected) table as declared; a policy implies RLS on.
    for p in policies:
        sa.Table(
            p["table"],
            md,
            Policy(
                p["name"],
                command=p["command"],
                permissive=p["permissive"],
                roles=p["roles"],
                using=p["using"],
                with_check=p["with_check"],
            ),
            schema=None if p["schema"] == "public" else p["schema"],
            extend_existing=True,
        )

    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            connection=conn,
            opts={
                "target_metadata": md,
                "include_schemas": True,
                "include_name": lambda name, type_, parent: type_ != "schema" or name in schemas,
            },
        )
        script = produce_migrations(ctx, md)
    ops = [op for op in script.upgrade_ops.ops if isinstance(op, _RlsOp)]
    assert ops == [], "\n".join(repr(op) for op in ops)

    # The same through the package's own API on a URL (the core's LiveDb round trip).
    from pgpolicy.sqlalchemy import schema_from_metadata

    plan = pgpolicy.plan(pg.url(db), schema_from_metadata(md))
    assert not plan, plan.sql()
