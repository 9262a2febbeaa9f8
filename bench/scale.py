"""Driver of bench/scale.sh: builds the database, times the CLI against the psql floor."""

import glob
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

N, RUNS, ROOT = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
BIN = os.path.join(ROOT, "target", "release", "pgpolicy")


def pg_bin() -> str:
    if os.environ.get("PGPOLICY_PG_BIN"):
        return os.environ["PGPOLICY_PG_BIN"]
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    if not dirs:
        sys.exit("no PostgreSQL server binaries (apt-get install postgresql)")
    return dirs[-1]


PG = pg_bin()
work = tempfile.mkdtemp(prefix="pgpolicy-scale-")
os.chmod(work, 0o755)
as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
if as_pg:
    shutil.chown(work, "postgres")
data, log = os.path.join(work, "data"), os.path.join(work, "server.log")
subprocess.run(as_pg + [f"{PG}/initdb", "-D", data, "-A", "trust", "-U", "postgres"], check=True, stdout=subprocess.DEVNULL)
port = "5499"
opts = f"-k {work} -p {port} -c listen_addresses='' -c log_statement=all -c fsync=off"
subprocess.run(as_pg + [f"{PG}/pg_ctl", "-D", data, "-o", opts, "-l", log, "-w", "start"], check=True, stdout=subprocess.DEVNULL)
URL = f"postgresql://postgres@/bench?host={work}&port={port}"


def psql(sql: str, db: str = "bench") -> str:
    return subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", work, "-p", port, "-U", "postgres", "-d", db],
        input=sql, text=True, check=True, capture_output=True,
    ).stdout


def measure(cmd: list) -> tuple:
    """Wall time (s), peak RSS (MiB) and statements the server logged, for one process."""
    before = open(log).read().count("LOG:  ")
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "dt = time.perf_counter() - t\n"
        "if r.returncode not in (0, 2): sys.exit(r.stderr.decode())\n"
        "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe] + cmd, check=True, capture_output=True, text=True).stdout.split()
    time.sleep(0.05)
    text = open(log).read()
    logged = text.count("LOG:  statement:") + text.count("LOG:  execute")
    after_all = logged
    return float(out[0]), float(out[1]), after_all, before


def stmts_of(cmd: list) -> int:
    def count() -> int:
        t = open(log).read()
        return t.count("LOG:  statement:") + t.count("LOG:  execute")
    c0 = count()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.2)
    return count() - c0


def median_run(cmd: list) -> tuple:
    runs = [measure(cmd)[:2] for _ in range(RUNS)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


try:
    psql("CREATE DATABASE bench", db="postgres")
    ddl = ["CREATE ROLE app_user;"]
    for i in range(N):
        t = f"t{i}"
        ddl.append(
            f"CREATE TABLE {t} (id bigint PRIMARY KEY, tenant_id integer NOT NULL, owner text, tags varchar(20)[]);"
            f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;"
            f"CREATE POLICY tenant ON {t} USING (tenant_id = current_setting('app.tenant')::integer);"
            f"CREATE POLICY owner_write ON {t} FOR UPDATE TO app_user USING (owner = current_user) WITH CHECK (owner = current_user AND tenant_id > 0);"
            f"CREATE POLICY tagged ON {t} FOR SELECT USING (tags && ARRAY['public'::varchar] OR owner IN ('a', 'b'));"
        )
    for k in range(0, len(ddl), 500):
        psql("\n".join(ddl[k:k + 500]))
    same = os.path.join(work, "same.json")
    with open(same, "w") as f:
        f.write(subprocess.run([BIN, "inspect", URL], check=True, capture_output=True, text=True).stdout)
    decl = json.load(open(same))
    random.seed(7)
    for t in random.sample(decl["tables"], max(1, N // 10)):
        for p in t["policies"]:
            if p["name"] == "tenant":
                p["using"] = "tenant_id = current_setting('app.tenant')::integer AND owner IS NOT NULL"
    changed = os.path.join(work, "changed.json")
    json.dump(decl, open(changed, "w"))
    floor_sql = os.path.join(work, "floor.sql")
    open(floor_sql, "w").write(
        "SELECT n.nspname, c.relname, p.polname, p.polcmd, p.polpermissive, p.polroles, "
        "pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) "
        "FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace;\n"
    )
    floor_cmd = ["psql", "-X", "-q", "-A", "-t", "-h", work, "-p", port, "-U", "postgres", "-d", "bench", "-f", floor_sql]
    cases = [
        ("inspect --format json", [BIN, "inspect", URL]),
        ("plan, no change", [BIN, "plan", "--from", URL, "--to", same, "--exit-code"]),
        ("plan, 10% USING edited", [BIN, "plan", "--from", URL, "--to", changed]),
    ]
    floor_t, floor_rss = median_run(floor_cmd)
    print(f"N={N} tables x 3 policies ({3 * N} policies), PostgreSQL {psql('SHOW server_version').strip()}, medians of {RUNS}")
    print(f"{'what':28} {'time':>9} {'÷ floor':>8} {'statements':>11} {'peak RSS':>10}")
    print(f"{'psql floor query':28} {floor_t:8.3f}s {1.0:7.2f}x {stmts_of(floor_cmd):11d} {floor_rss:8.1f}Mi")
    for name, cmd in cases:
        t, rss = median_run(cmd)
        print(f"{name:28} {t:8.3f}s {t / floor_t:7.2f}x {stmts_of(cmd):11d} {rss:8.1f}Mi")
    canon = subprocess.run(
        [os.path.join(ROOT, "target", "release", "examples", "canon_bench")], capture_output=True, text=True, cwd=ROOT
    )
    print("canonicalization (one core):", (canon.stdout.strip().splitlines() or ["(no output)"])[-1])
finally:
    subprocess.run(as_pg + [f"{PG}/pg_ctl", "-D", data, "-m", "immediate", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(work, ignore_errors=True)
