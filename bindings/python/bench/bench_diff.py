"""Diff of a 1,000-table schema from Python against the same diff in the core.

    python bindings/python/bench/bench_diff.py [--tables 1000] [--iterations 20]

Builds two schemas (every table with three policies; a tenth of them changed, half of
those in a spelling only the canonicalizer can settle), times `pgpolicy.diff` from
Python, runs the binding's `py_diff_bench` example on the same JSON, and prints both and the
ratio (target: within 2x). Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pgpolicy

REPO = Path(__file__).resolve().parents[3]


def schema(tables: int, changed: bool) -> dict:
    out = []
    for i in range(tables):
        using = "tenant_id = current_setting('app.current_tenant')::integer"
        if changed and i % 10 == 0:
            using = (
                "tenant_id = CAST(current_setting('app.current_tenant') AS int4)" if i % 20 == 0 else "tenant_id = 42"
            )
        out.append(
            {
                "schema": "public",
                "name": f"t{i:04}",
                "columns": [
                    {"name": "id", "type": "integer", "nullable": False},
                    {"name": "tenant_id", "type": "integer", "nullable": False},
                    {"name": "status", "type": "text", "nullable": True},
                ],
                "rls": {"enabled": True, "forced": False},
                "policies": [
                    {"name": "tenant_isolation", "using": using},
                    {"name": "read_active", "command": "SELECT", "using": "status IN ('active', 'trial') AND id > 0"},
                    {
                        "name": "insert_own",
                        "command": "INSERT",
                        "with_check": "tenant_id = current_setting('app.current_tenant')::integer",
                    },
                ],
            }
        )
    return {"tables": out}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--iterations", type=int, default=20)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cur_path, des_path = Path(tmp, "current.json"), Path(tmp, "desired.json")
        cur_path.write_text(json.dumps(schema(args.tables, False)))
        des_path.write_text(json.dumps(schema(args.tables, True)))
        current = pgpolicy.Schema.from_json(cur_path.read_text())
        desired = pgpolicy.Schema.from_json(des_path.read_text())

        plan = pgpolicy.diff(current, desired)
        start = time.perf_counter()
        for _ in range(args.iterations):
            plan = pgpolicy.diff(current, desired)
        py_ms = (time.perf_counter() - start) * 1000 / args.iterations

        run = subprocess.run(
            [
                "cargo",
                "run",
                "--quiet",
                "--release",
                "-p",
                "pgpolicy-python",
                "--example",
                "py_diff_bench",
                "--",
                str(cur_path),
                str(des_path),
                str(args.iterations),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
    m = re.search(r"rust_ms_per_diff=([\d.]+) changes=(\d+)", run.stdout)
    if not m:
        sys.exit(f"unexpected output from py_diff_bench: {run.stdout}{run.stderr}")
    rust_ms, rust_changes = float(m.group(1)), int(m.group(2))
    assert rust_changes == len(plan), (rust_changes, len(plan))
    ratio = py_ms / rust_ms
    print(f"tables={args.tables} changes={len(plan)} iterations={args.iterations}")
    print(f"python_ms_per_diff={py_ms:.3f} rust_ms_per_diff={rust_ms:.3f} ratio={ratio:.2f} (target <= 2.00)")


if __name__ == "__main__":
    main()
