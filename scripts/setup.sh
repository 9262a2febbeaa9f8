#!/usr/bin/env bash
# Installs or checks what every job needs on a fresh Debian machine: PostgreSQL server
# binaries (for the throwaway clusters; installed with apt when missing), the postgres user
# (root runs the clusters through it), and the toolchains: Rust (cargo), Python 3.9+ with
# venv, Node 18+ with npm. A missing toolchain is an error that says how to install it.
# Idempotent and quiet when done.
set -euo pipefail

have_pg() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${PGPOLICY_PG_BIN:-}" ] || command -v initdb >/dev/null 2>&1; }
if ! have_pg; then
  echo "setup: installing PostgreSQL server binaries (apt-get install postgresql)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
fi

missing=0
need() {  # need CHECK-COMMAND MESSAGE
  if ! eval "$1" >/dev/null 2>&1; then echo "setup: $2" >&2; missing=1; fi
}
need "command -v cargo" "cargo not found: install Rust with rustup (https://rustup.rs: curl --proto '=https' -sSf https://sh.rustup.rs | sh), then open a new shell or source ~/.cargo/env"
need "command -v python3" "python3 not found: apt-get install python3 python3-venv"
need "python3 -c 'import sys; assert sys.version_info >= (3, 9)'" "Python 3.9 or newer is needed (python3 is $(python3 --version 2>&1))"
need "python3 -c 'import venv, ensurepip'" "python3 cannot make virtual environments: apt-get install python3-venv"
need "command -v node" "node not found: install Node.js 18 or newer (e.g. apt-get install nodejs npm, or https://nodejs.org)"
need "node -e 'process.exit(+process.versions.node.split(\".\")[0] >= 18 ? 0 : 1)'" "Node.js 18 or newer is needed (node is $(node --version 2>&1))"
need "command -v npm" "npm not found: apt-get install npm (or install Node.js from https://nodejs.org)"
exit "$missing"
