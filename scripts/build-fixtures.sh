#!/usr/bin/env bash
# Builds the fixture PE images from fixtures/src with Debian's mingw-w64 (i686) into fixtures/bin.
# Deterministic: fixed flags, no timestamps, sorted inputs. `--check` builds into a temporary
# directory and compares byte-for-byte with the committed binaries (exit 1 on any difference).
set -euo pipefail
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=0
cd "$(dirname "$0")/.."

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
  *) echo "build-fixtures.sh: unknown option '$1' (expected --check)" >&2; exit 2 ;;
esac

CC=i686-w64-mingw32-gcc
DLLTOOL=i686-w64-mingw32-dlltool
WINDRES=i686-w64-mingw32-windres
for tool in "$CC" "$DLLTOOL" "$WINDRES"; do
  command -v "$tool" >/dev/null || {
    echo "build-fixtures.sh: $tool not found; install gcc-mingw-w64-i686, or run ./scripts/setup.sh --fixtures" >&2
    exit 3
  }
done

CFLAGS=(-O2 -ffreestanding -fno-builtin -fno-stack-protector -fno-asynchronous-unwind-tables -mno-stack-arg-probe -Wall -Werror)
LDFLAGS=(-nostdlib -s -Wl,--subsystem,native:3.51 -Wl,--major-os-version,3 -Wl,--minor-os-version,51
  -Wl,--file-alignment,0x200 -Wl,--section-alignment,0x1000 -Wl,--enable-reloc-section
  -Wl,--disable-dynamicbase -Wl,--disable-nxcompat -Wl,--no-insert-timestamp -Wl,--enable-stdcall-fixup)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/bin"
mkdir -p "$out/parser"

# --- parser test images (fixtures/src/parser) ---
src=fixtures/src/parser
b="$work/parser"
mkdir -p "$b"
$WINDRES -O coff -i "$src/testkrnl.rc" -o "$b/testkrnl.res"
for def in imports-testkrnl imports-hal imports-missing imports-ntdll; do
  $DLLTOOL -k -d "$src/$def.def" -l "$b/lib$def.a"
done
$CC "${CFLAGS[@]}" -c "$src/testkrnl.c" -o "$b/testkrnl.o"
$CC "${LDFLAGS[@]}" -Wl,--kill-at -Wl,--image-base,0x80100000 -Wl,-e,_KiSystemStartup@4 \
  -o "$out/parser/testkrnl.exe" "$b/testkrnl.o" "$b/testkrnl.res" "$src/testkrnl.def"
$CC "${CFLAGS[@]}" -c "$src/testhal.c" -o "$b/testhal.o"
$CC "${LDFLAGS[@]}" -shared -Wl,--kill-at -Wl,--image-base,0x80400000 -Wl,-e,_HalEntry@12 \
  -o "$out/parser/hal.dll" "$b/testhal.o" "$src/testhal.def"
driver() { # name source libs...
  local name=$1 source=$2
  shift 2
  $CC "${CFLAGS[@]}" -c "$source" -o "$b/$name.o"
  $CC "${LDFLAGS[@]}" -Wl,--image-base,0x10000 -Wl,-e,_DriverEntry@8 -o "$out/parser/$name" "$b/$name.o" "$@"
}
driver testdrv.sys "$src/testdrv.c" "$b/libimports-testkrnl.a" "$b/libimports-hal.a"
driver testdrv-missing.sys "$src/testdrv-missing.c" "$b/libimports-missing.a"
driver testuser.sys "$src/testuser.c" "$b/libimports-ntdll.a"

# --- install or compare ---
if [ "$check" = 1 ]; then
  status=0
  count=0
  while IFS= read -r f; do
    rel=${f#"$out"/}
    count=$((count + 1))
    if ! cmp -s "$f" "fixtures/bin/$rel"; then
      echo "differs: fixtures/bin/$rel" >&2
      status=1
    fi
  done < <(find "$out" -type f | sort)
  [ "$status" = 0 ] && echo "build-fixtures.sh --check: $count image(s) identical to fixtures/bin"
  exit "$status"
fi
mkdir -p fixtures/bin
cp -r "$out"/. fixtures/bin/
find "$out" -type f | sort | sed "s|^$out/|fixtures/bin/|"
