# Sourced by test-python.sh and demo-python.sh: makes $ROOT/.venv with the package
# (built from bindings/python by maturin through pip) and what the tests and the example
# use. Sets PY.
VENV="${PGPOLICY_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "python-env: installing PostgreSQL server binaries" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
    "$PY" -m pip install -q --upgrade pip
fi
# PGPOLICY_VENV_READY=1: the venv is made and the package installed already (scripts/demo.sh).
if [ "${PGPOLICY_VENV_READY:-0}" != 1 ]; then
    "$PY" -m pip install -q --disable-pip-version-check "maturin>=1.9,<2" sqlalchemy alembic "psycopg[binary]" asyncpg greenlet pytest mypy ruff
    # --no-build-isolation: maturin is in the venv already; cargo reuses $ROOT/target.
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}" \
        "$PY" -m pip install -q --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps "$ROOT/bindings/python"
fi
