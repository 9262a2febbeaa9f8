#!/usr/bin/env bash
# Prints the bin directory of a PostgreSQL 16 from the `pgserver` wheel on PyPI, copied
# where the postgres user can read it (the wheel's binaries find their libraries through
# a relative rpath, so the package and its .libs folder are copied together).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/pg16-venv"
dest="${TMPDIR:-/tmp}/pgpolicy-pg16"
if [ ! -x "$dest/pgserver/pginstall/bin/initdb" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q pgserver >&2
  site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  rm -rf "$dest" && mkdir -p "$dest"
  cp -r "$site/pgserver" "$site/pgserver.libs" "$dest/"
  chmod -R a+rX "$dest"
fi
echo "$dest/pgserver/pginstall/bin"
