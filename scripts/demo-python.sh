#!/usr/bin/env bash
# The SQLAlchemy example end to end: models -> alembic revision --autogenerate -> upgrade
# -> each tenant's users through rls_context as a non-owner role.
#   bash scripts/demo-python.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/python-env.sh
source "$ROOT/scripts/python-env.sh"
"$PY" "$ROOT/examples/sqlalchemy/main.py"
