"""Alembic autogenerate with pgpolicy against plain Alembic, on N tables x 3 policies.

    python bindings/python/bench/bench_alembic.py [--tables 1000] [--runs 3]

Starts a throwaway PostgreSQL, creates the tables with their RLS and policies
(`create_all`), then times `alembic.autogenerate.produce_migrations` on the same
metadata, in fresh processes: plain Alembic, and with `pgpolicy.alembic` imported (its
comparator registered), interleaved. Both find nothing to do. Prints the medians and the ratio
(target: 1.1x). Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import sqlalchemy as sa


def metadata(tables: int) -> sa.MetaData:
    from pgpolicy.sqlalchemy import Policy, RowLevelSecurity

    md = sa.MetaData()
    for i in range(tables):
        sa.Table(
            f"t{i:05}",
            md,
            sa.Column("id", sa.BigInteger, primary_key=True),
            sa.Column("tenant_id", sa.Integer, nullable=False),
            sa.Column("owner", sa.Text),
            RowLevelSecurity(),
            Policy("tenant", using="tenant_id = current_setting('app.tenant')::integer"),
            Policy("owner_write", command="UPDATE", using="owner = current_user", with_check="owner = current_user"),
            Policy("reader", command="SELECT", using="owner IN ('a', 'b') OR tenant_id > 0"),
        )
    return md


def child(url: str, tables: int, with_pgpolicy: bool) -> None:
    """One timed autogenerate; prints the seconds and the number of operations."""
    from alembic.autogenerate import produce_migrations
    from alembic.migration import MigrationContext

    if with_pgpolicy:
        import pgpolicy.alembic  # noqa: F401 - registers the comparator

    md = metadata(tables)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn)
        start = time.perf_counter()
        script = produce_migrations(ctx, md)
        elapsed = time.perf_counter() - start
    ops = len(script.upgrade_ops.ops) if script.upgrade_ops else 0
    print(f"{elapsed} {ops}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    import pgpolicy
    from pgpolicy.testing import EmbeddedPostgres

    with EmbeddedPostgres() as pg:
        pg.create_database("bench")
        url = pg.sqlalchemy_url("bench")
        md = metadata(args.tables)
        engine = sa.create_engine(url)
        md.create_all(engine)
        engine.dispose()
        print(f"{args.tables} tables x 3 policies, pgpolicy {pgpolicy.__version__}, medians of {args.runs}")
        runs: dict = {"plain Alembic": [], "with pgpolicy": []}
        # Interleaved, so that a change in the machine's load weighs on both alike.
        for _ in range(args.runs):
            for name, flag in (("plain Alembic", "plain"), ("with pgpolicy", "pgpolicy")):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", url, str(args.tables), flag],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.split()
                runs[name].append(float(out[0]))
                if out[1] != "0":
                    sys.exit(f"{name}: autogenerate found {out[1]} operations on an unchanged database")
        results = {name: statistics.median(times) for name, times in runs.items()}
        for name, median in results.items():
            print(f"  {name:14} {median:8.3f} s")
        print(f"  ratio          {results['with pgpolicy'] / results['plain Alembic']:8.2f}x (target 1.1x)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "pgpolicy")
    else:
        main()
