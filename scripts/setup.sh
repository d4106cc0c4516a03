#!/usr/bin/env bash
# Set-up for nt351 on Debian: system packages (idempotent), npm packages from package-lock.json, build.
# Safe to run twice, as root with no stdin. Options: --fixtures also installs the mingw-w64 toolchain
# that `npm run fixtures` needs (implied when CI=true, because CI checks the committed fixtures rebuild);
# --bench also installs libwine, whose PE DLLs are the larger corpus of `npm run bench` (bench/resolve.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

# Runtime: libunicorn2 (x86 emulation). Tests: python3-pefile and binutils (differential references),
# nsis-common and clamav-testfiles (real PE images we did not build), libevt-utils (evtexport reads
# our event logs), qemu-user and binutils-alpha-linux-gnu (the Alpha interpreter's reference),
# libhivex-bin and libregf-utils (hivexml/hivexsh and regfexport read the registry hives we read and write),
# python3-hivex (writes hives for the real-installation boot tests).
packages=(libunicorn2 python3-pefile binutils nsis-common clamav-testfiles libevt-utils qemu-user
  binutils-alpha-linux-gnu libhivex-bin libregf-utils python3-hivex
  # unicorn.h/x86.h for test/cpu/unicorn-abi.test.ts; the PE corpora of test/pe/malformed-corpus.test.ts
  libunicorn-dev linux-perf systemd-boot-efi shim-unsigned grub-efi-amd64-bin
  # test/cli/png-decode.test.ts re-encodes PNGs with optipng; render-png.test.ts needs a system font
  optipng fonts-dejavu-core)
want_fixtures=0
want_bench=0
for arg in "$@"; do
  case "$arg" in
    --fixtures) want_fixtures=1 ;;
    --bench) want_bench=1 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (expected --fixtures or --bench)" >&2; exit 2 ;;
  esac
done
[ "${CI:-}" = "true" ] && want_fixtures=1
# x86_64 mingw-w64: the AMD64 sample driver (fixtures/bin/samples/amd64).
[ "$want_fixtures" = 1 ] && packages+=(gcc-mingw-w64-i686 binutils-mingw-w64-i686 gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64)
[ "$want_bench" = 1 ] && packages+=(libwine)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  # A transient error on one index must not abort set-up; a failed install must.
  $sudo apt-get update -q || echo "setup: warning: apt-get update reported errors; trying the install anyway" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
else
  echo "setup: Debian packages present: ${packages[*]}"
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund </dev/null
echo "setup: build"
npm run --silent build
echo "setup: done"
