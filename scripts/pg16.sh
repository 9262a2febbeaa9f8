#!/usr/bin/env bash
# Prints the bin directory of a PostgreSQL 16, from the `pgserver` wheel on PyPI (pinned).
# The download is cached in the clone, in target/pg16 (or $PGPOLICY_PG16_CACHE), and checked:
# `postgres --version` must say 16. As root, the throwaway clusters run as the postgres user;
# when that user cannot read the cache (a clone under /root), the binaries are copied to
# ${TMPDIR:-/tmp}/pgpolicy-pg16-<version> (the wheel's binaries find their libraries through a
# relative rpath, so the package and its .libs folder are copied together).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version=0.1.4
cache="${PGPOLICY_PG16_CACHE:-$root/target/pg16}"
site="$cache/pgserver-$version"

check() {  # check BIN: postgres in BIN says 16
  local v
  v="$("$1/postgres" --version 2>/dev/null)" || return 1
  case "$v" in *" 16."*) return 0 ;; *) echo "pg16: $1/postgres is not 16: $v" >&2; return 1 ;; esac
}

if ! check "$site/pgserver/pginstall/bin" 2>/dev/null; then
  echo "pg16: downloading PostgreSQL 16 (pgserver==$version from PyPI) into $cache" >&2
  command -v python3 >/dev/null || { echo "pg16: python3 is needed (apt-get install python3 python3-venv)" >&2; exit 1; }
  mkdir -p "$cache"
  [ -x "$cache/venv/bin/pip" ] || python3 -m venv "$cache/venv" >&2 \
    || { echo "pg16: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
  rm -rf "$site.tmp"
  "$cache/venv/bin/pip" install -q --disable-pip-version-check --no-deps --target "$site.tmp" "pgserver==$version" >&2
  rm -rf "$site" && mv "$site.tmp" "$site"
  check "$site/pgserver/pginstall/bin" || { echo "pg16: the downloaded PostgreSQL does not run" >&2; exit 1; }
fi
bin="$site/pgserver/pginstall/bin"

if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 \
  && ! runuser -u postgres -- test -x "$bin/initdb" 2>/dev/null; then
  dest="${TMPDIR:-/tmp}/pgpolicy-pg16-$version"
  if ! check "$dest/pgserver/pginstall/bin" 2>/dev/null; then
    rm -rf "$dest" && mkdir -p "$dest"
    cp -r "$site/pgserver" "$site/pgserver.libs" "$dest/"
    chmod -R a+rX "$dest"
  fi
  bin="$dest/pgserver/pginstall/bin"
fi
echo "$bin"
