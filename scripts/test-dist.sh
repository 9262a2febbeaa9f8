#!/usr/bin/env bash
# Installs the packages in dist/ (from scripts/package.sh) as users do: into a fresh venv and
# a fresh npm project in a temporary directory, with no cargo or rustc on PATH and no
# repository beside them. Imports/requires every entry point (pgpolicy.sqlalchemy,
# pgpolicy.alembic; pgpolicy and pgpolicy/sequelize as ESM and CommonJS), runs a diff, and runs
# the installed `pgpolicy` CLI (--version, plan). Then builds a wheel from the sdist in a
# directory without the repository (this step uses cargo).
#   bash scripts/test-dist.sh [--keep]      (--keep leaves the temporary directory)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dist="$root/dist"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)"
wheel="$(ls "$dist"/pgpolicy-"$version"-*manylinux*.whl 2>/dev/null | head -1)"
sdist="$dist/pgpolicy-$version.tar.gz"
for f in "$wheel" "$sdist" "$dist/pgpolicy-$version.tgz" "$dist/pgpolicy-linux-x64-gnu-$version.tgz"; do
  [ -f "$f" ] || { echo "test-dist: ${f:-the manylinux wheel} is missing: run bash scripts/package.sh first" >&2; exit 1; }
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pgpolicy-dist.XXXXXX")"
[ "${1:-}" = --keep ] && echo "test-dist: working in $tmp" || trap 'rm -rf "$tmp"' EXIT
cp "$dist"/* "$tmp/"

# PATH without cargo and rustc (rustup's ~/.cargo/bin or wherever they are).
nocargo=""
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -n "$d" ] && [ ! -e "$d/cargo" ] && [ ! -e "$d/rustc" ] && nocargo="${nocargo:+$nocargo:}$d"
done
run() { env -u CARGO_HOME -u RUSTUP_HOME -u CARGO_TARGET_DIR PATH="$nocargo" HOME="$tmp/home" "$@"; }
mkdir -p "$tmp/home"
if run bash -c 'command -v cargo || command -v rustc'; then echo "test-dist: cargo is still on PATH" >&2; exit 1; fi
ok() { echo "  ok: $*"; }
timed() {  # timed COMMAND...: runs it and prints the wall time, labelled $TIMED_LABEL
  local TIMEFORMAT="  time: %1R s ($TIMED_LABEL)"
  time "$@"
}

cat >"$tmp/a.sql" <<'SQL'
CREATE TABLE public.users (id integer PRIMARY KEY, tenant_id integer NOT NULL);
SQL
cat >"$tmp/x.sql" <<'SQL'
CREATE TABLE public.users (id integer PRIMARY KEY, tenant_id integer NOT NULL);
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.users USING (tenant_id = current_setting('app.current_tenant')::integer);
SQL

echo "== Python: pip install the wheel into a fresh venv (no cargo on PATH)"
cd "$tmp"
run python3 -m venv "$tmp/venv"
run "$tmp/venv/bin/pip" install -q --disable-pip-version-check --upgrade pip  # a current pip shows License-Expression
TIMED_LABEL="pip install $(basename "$wheel") sqlalchemy alembic" \
  timed run "$tmp/venv/bin/pip" install -q --disable-pip-version-check "$tmp/$(basename "$wheel")" "sqlalchemy>=2" "alembic>=1.13"
run "$tmp/venv/bin/python" - "$tmp/a.sql" "$tmp/x.sql" <<'PY'
import sys
from pathlib import Path
import pgpolicy, pgpolicy.sqlalchemy, pgpolicy.alembic  # noqa: F401
import importlib.resources
assert "site-packages" in pgpolicy.__file__, pgpolicy.__file__
assert (Path(pgpolicy.__file__).parent / "py.typed").is_file(), "py.typed"
a = pgpolicy.Schema.from_sql(Path(sys.argv[1]).read_text())
x = pgpolicy.Schema.from_sql(Path(sys.argv[2]).read_text())
plan = pgpolicy.diff(a, x)
sql = plan.sql()
assert "CREATE POLICY tenant_isolation" in sql and "ENABLE ROW LEVEL SECURITY" in sql, sql
assert not pgpolicy.diff(x, x), "no change expected"
print("  ok: import pgpolicy, pgpolicy.sqlalchemy, pgpolicy.alembic; diff:", len(plan.statements()), "statements")
PY
out="$(run "$tmp/venv/bin/pgpolicy" --version)"
[ "$out" = "pgpolicy $version" ] || { echo "unexpected: $out" >&2; exit 1; }
ok "console script: $out"
out="$(run "$tmp/venv/bin/pgpolicy" plan --from empty --to "$tmp/x.sql")"
grep -q "CREATE POLICY tenant_isolation" <<<"$out" || { echo "$out" >&2; exit 1; }
ok "pgpolicy plan --from empty --to x.sql: $(grep -c ';' <<<"$out") statements"
show="$(run "$tmp/venv/bin/pip" show -v -f pgpolicy)"
for want in "Summary: PostgreSQL row-level security" "License-Expression: MIT OR Apache-2.0" "Home-page: https://" \
  "Repository, https://" "Typing :: Typed" "pgpolicy=pgpolicy._cli:main" "licenses/LICENSE-MIT" "licenses/LICENSE-APACHE"; do
  grep -q "$want" <<<"$show" || { echo "pip show lacks $want:" >&2; echo "$show" >&2; exit 1; }
done
ok "pip show: summary, license expression, URLs, license files"

echo "== Node: npm install the tarballs into a fresh project (no cargo on PATH)"
mkdir -p "$tmp/app"
cd "$tmp/app"
run npm init -y >/dev/null
TIMED_LABEL="npm install pgpolicy-$version.tgz pgpolicy-linux-x64-gnu-$version.tgz" \
  timed run npm install --no-audit --no-fund --loglevel=error \
  "$tmp/pgpolicy-linux-x64-gnu-$version.tgz" "$tmp/pgpolicy-$version.tgz"
[ ! -e node_modules/@napi-rs ] || { echo "test-dist: @napi-rs was installed" >&2; exit 1; }
ok "node_modules: $(ls node_modules | tr '\n' ' ')"
run node - "$tmp/a.sql" "$tmp/x.sql" <<'JS'
const fs = require('fs');
const pgpolicy = require('pgpolicy');
const sequelize = require('pgpolicy/sequelize');
if (!require.resolve('pgpolicy').includes('node_modules')) throw new Error('not the installed package');
const schema = (sql) => pgpolicy.fromSql(sql);
const [a, x] = process.argv.slice(2).map((f) => schema(fs.readFileSync(f, 'utf8')));
const plan = pgpolicy.diff(a, x);
if (!/CREATE POLICY tenant_isolation/.test(plan.sql)) throw new Error(plan.sql);
if (typeof sequelize.definePolicies !== 'function') throw new Error('pgpolicy/sequelize');
console.log(`  ok: require('pgpolicy'), require('pgpolicy/sequelize'); diff: ${plan.statements.length} statements`);
JS
cat >esm.mjs <<'JS'
import { diff, fromSql } from 'pgpolicy';
import { definePolicies, generateMigration } from 'pgpolicy/sequelize';
import pgpolicyDefault from 'pgpolicy';
const plan = diff(fromSql('CREATE TABLE t (id int);'), fromSql('CREATE TABLE t (id int); ALTER TABLE t ENABLE ROW LEVEL SECURITY;'));
if (!/ENABLE ROW LEVEL SECURITY/.test(plan.sql)) throw new Error(plan.sql);
if (typeof definePolicies !== 'function' || typeof generateMigration !== 'function' || typeof pgpolicyDefault.diff !== 'function') throw new Error('exports');
console.log('  ok: import { diff } from "pgpolicy", import { definePolicies } from "pgpolicy/sequelize"');
JS
run node esm.mjs
out="$(run ./node_modules/.bin/pgpolicy --version)"
[ "$out" = "pgpolicy $version" ] || { echo "unexpected: $out" >&2; exit 1; }
ok "npm bin: $out"
out="$(run ./node_modules/.bin/pgpolicy plan --from empty --to "$tmp/x.sql")"
grep -q "CREATE POLICY tenant_isolation" <<<"$out" || { echo "$out" >&2; exit 1; }
ok "npx pgpolicy plan --from empty --to x.sql: $(grep -c ';' <<<"$out") statements"

echo "== Python sdist: a wheel from $(basename "$sdist") in a directory without the repository (cargo)"
mkdir -p "$tmp/sdist"
cd "$tmp/sdist"
python3 -m venv "$tmp/sdist/venv"
# The workspace's target/ serves the dependencies already compiled (same registry sources).
TIMED_LABEL="pip wheel $(basename "$sdist")" \
  timed env CARGO_TARGET_DIR="$root/target" "$tmp/sdist/venv/bin/pip" wheel -q --disable-pip-version-check \
  --no-deps -w "$tmp/sdist/out" "$tmp/$(basename "$sdist")"
"$tmp/sdist/venv/bin/pip" install -q --disable-pip-version-check "$tmp/sdist/out"/pgpolicy-*.whl
"$tmp/sdist/venv/bin/python" -c 'import pgpolicy; assert pgpolicy.diff(pgpolicy.Schema.empty(), pgpolicy.Schema.from_sql("CREATE TABLE t (id int); ALTER TABLE t ENABLE ROW LEVEL SECURITY;"))'
ok "built $(basename "$tmp"/sdist/out/*.whl) from the sdist; it imports and diffs"

echo "test-dist: every check passed"
