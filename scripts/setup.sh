#!/usr/bin/env bash
# Installs what every job needs on a fresh Debian machine: PostgreSQL server binaries
# (for the throwaway clusters) and a Rust toolchain check. Idempotent and quiet when done.
set -euo pipefail

have_pg() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${PGPOLICY_PG_BIN:-}" ]; }
if ! have_pg; then
  echo "setup: installing PostgreSQL server binaries"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
fi
command -v cargo >/dev/null || { echo "setup: cargo not found (install Rust with rustup)"; exit 1; }
