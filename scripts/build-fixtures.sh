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

CFLAGS=(-O2 -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns -fno-stack-protector
  -fno-asynchronous-unwind-tables -mno-stack-arg-probe -Wall -Werror)
LDFLAGS=(-nostdlib -s -Wl,--subsystem,native:3.51 -Wl,--major-os-version,3 -Wl,--minor-os-version,51
  -Wl,--file-alignment,0x200 -Wl,--section-alignment,0x1000 -Wl,--enable-reloc-section
  -Wl,--disable-dynamicbase -Wl,--disable-nxcompat -Wl,--no-insert-timestamp -Wl,--enable-stdcall-fixup)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/out"          # mirrors fixtures/: bin/, media/, imagesets/
out="$root/bin"
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

# --- NT 3.51 x86 set (fixtures/src/nt351) ---
src=fixtures/src/nt351
b="$work/nt351"
mkdir -p "$b" "$out/nt351/common"

# version.rc values: resource NAME SP FILETYPE SUBTYPE ORIGINALFILENAME DESCRIPTION
# (written to a header: windres passes -D values through a shell, which breaks on spaces and "&").
resource() {
  mkdir -p "$b/ver-$1"
  printf '#define VER_SP %s\n#define VER_FILETYPE %s\n#define VER_FILESUBTYPE %s\n#define VER_FILEVERSION_STR "3.51.1057.%s"\n#define VER_ORIGINALFILENAME "%s"\n#define VER_INTERNALNAME "%s"\n#define VER_DESCRIPTION "%s"\n' \
    "$2" "$3" "$4" "$2" "$5" "${5%.*}" "$6" >"$b/ver-$1/verinfo.h"
  $WINDRES -O coff -I "$b/ver-$1" -i "$src/version.rc" -o "$b/$1.res"
}

# Kernel export definitions and stubs from ntoskrnl.exports for service pack $1 (0 = RTM), image name
# $2; with $3 = implib, only what drivers import through an import library: no data and no fastcall
# stubs; forwarders only where ntoskrnl.exports gives their decoration (fwd:T:fast:N, fwd:T:std:N).
kernel_def() {
  awk -v sp="$1" -v name="$2" -v implib="${3:-}" '
    BEGIN { print "NAME " name; print "EXPORTS" }
    /^[0-9]/ {
      since = ($4 ~ /^SP[0-9]$/) ? substr($4, 3) + 0 : 0
      if (since > sp) next
      split($3, k, ":")
      if (implib != "" && (k[1] == "data" || k[1] == "fast" || (k[1] == "fwd" && k[3] == ""))) next
      if (implib != "" && k[1] == "fwd") {
        # dlltool -k turns @Name@N (fastcall) and Name@N (stdcall) into the import name Name.
        print "  " (k[3] == "fast" ? "@" $2 "@" k[4] : $2 "@" k[4]) " @" $1
        next
      }
      if (k[1] == "data") print "  " $2 " @" $1 " DATA"
      else if (k[1] == "cdecl") print "  " $2 " @" $1
      else if (k[1] == "fwd") print "  " $2 " = " k[2] " @" $1
      else print "  " $2 "@" k[2] " @" $1
    }' "$src/ntoskrnl.exports"
}
kernel_stubs() {
  awk '
    BEGIN { print "# Generated from ntoskrnl.exports: routines the emulator'"'"'s handlers replace."; print "\t.section .stub,\"xr\"" }
    /^[0-9]/ {
      split($3, k, ":")
      if (k[1] == "stub" || k[1] == "fast") { label = "_" $2 "@" k[2]; pop = k[2] }
      else if (k[1] == "cdecl") { label = "_" $2; pop = 0 }
      else next
      print "\t.globl " label; print label ":"; print "\tmovl $0xC0000002, %eax  # STATUS_NOT_IMPLEMENTED"
      print (pop > 0 ? "\tret $" pop : "\tret")
    }' "$src/ntoskrnl.exports"
}
# Import libraries the drivers link against: every kernel export (SP5 set), the HAL, ndis.sys, tdi.sys.
kernel_def 5 NTOSKRNL.EXE implib >"$b/imp-ntoskrnl.def"
$DLLTOOL -k -d "$b/imp-ntoskrnl.def" -l "$b/libntoskrnl.a"
sed 's/@HALNAME@/HAL.DLL/' "$src/hal.def.in" > "$b/imp-hal.def"
$DLLTOOL -k -d "$b/imp-hal.def" -l "$b/libhal.a"
$DLLTOOL -k -d "$src/drivers/ndis.def" -l "$b/libndis.a"
$DLLTOOL -k -d "$src/drivers/tdi.def" -l "$b/libtdi.a"

kernel_stubs > "$b/stubs.s"
$CC "${CFLAGS[@]}" -c "$b/stubs.s" -o "$b/stubs.o"

# GNU ld has no option for IMAGE_FILE_UP_SYSTEM_ONLY; set it and recompute NT's checksum.
set_up_only() {
  /usr/bin/python3 - "$1" <<'PY'
import struct, sys
p = sys.argv[1]; d = bytearray(open(p, "rb").read())
nt = struct.unpack_from("<I", d, 0x3c)[0]
ch = struct.unpack_from("<H", d, nt + 22)[0] | 0x4000
struct.pack_into("<H", d, nt + 22, ch)
ck = nt + 24 + 64
struct.pack_into("<I", d, ck, 0)
s = 0
for i in range(0, len(d) - 1, 2):
    s += d[i] | (d[i + 1] << 8); s = (s & 0xffff) + (s >> 16)
if len(d) & 1:
    s += d[-1]; s = (s & 0xffff) + (s >> 16)
struct.pack_into("<I", d, ck, ((s & 0xffff) + (s >> 16)) + len(d))
open(p, "wb").write(d)
PY
}

for sp in 0 1 2 3 4 5; do
  tag=$([ "$sp" = 0 ] && echo rtm || echo "sp$sp")
  mkdir -p "$out/nt351/$tag"
  for mp in 0 1; do
    name=$([ "$mp" = 0 ] && echo ntoskrnl.exe || echo ntkrnlmp.exe)
    desc=$([ "$mp" = 0 ] && echo "NT Kernel & System (uniprocessor)" || echo "NT Kernel & System (multiprocessor)")
    k="$b/$tag-$mp"
    mkdir -p "$k"
    for c in ntos rtl; do
      $CC "${CFLAGS[@]}" -DNT_SP="$sp" -DNT_MP="$mp" -c "$src/$c.c" -o "$k/$c.o"
    done
    kernel_def "$sp" "$name" > "$k/kernel.def"
    resource "$tag-$mp-kernel" "$sp" VFT_DRV VFT2_DRV_SYSTEM "$name" "$desc"
    $CC "${LDFLAGS[@]}" -Wl,--kill-at -Wl,--image-base,0x80100000 -Wl,-e,_KiSystemStartup@4 \
      -o "$out/nt351/$tag/$name" "$k/ntos.o" "$k/rtl.o" "$b/stubs.o" "$b/$tag-$mp-kernel.res" "$k/kernel.def" "$b/libhal.a"
    [ "$mp" = 0 ] && set_up_only "$out/nt351/$tag/$name"
  done
  # srv.sys: the one driver the service packs change here (SP builds import RtlIsNameLegalDOS8Dot3).
  $CC "${CFLAGS[@]}" -DNT_SP="$sp" -c "$src/drivers/srv.c" -o "$b/srv-$tag.o"
  resource "srv-$tag" "$sp" VFT_DRV VFT2_DRV_NETWORK srv.sys "Server driver"
  $CC "${LDFLAGS[@]}" -Wl,--image-base,0x10000 -Wl,-e,_DriverEntry@8 -o "$out/nt351/$tag/srv.sys" \
    "$b/srv-$tag.o" "$b/srv-$tag.res" "$b/libntoskrnl.a"
done

for mp in 0 1; do
  name=$([ "$mp" = 0 ] && echo hal.dll || echo halmps.dll)
  desc=$([ "$mp" = 0 ] && echo "Hardware Abstraction Layer (standard PC, uniprocessor)" || echo "Hardware Abstraction Layer (MPS 1.1, multiprocessor)")
  $CC "${CFLAGS[@]}" -DHAL_MP="$mp" -c "$src/hal.c" -o "$b/hal-$mp.o"
  sed "s/@HALNAME@/$name/" "$src/hal.def.in" > "$b/hal-$mp.def"
  resource "hal-$mp" 0 VFT_DLL 0 "$name" "$desc"
  $CC "${LDFLAGS[@]}" -shared -Wl,--kill-at -Wl,--image-base,0x80400000 -Wl,-e,_HalEntry@12 \
    -o "$out/nt351/common/$name" "$b/hal-$mp.o" "$b/hal-$mp.res" "$b/hal-$mp.def" "$b/libntoskrnl.a"
done

# Other drivers (the same binaries in RTM and every service pack): name, description, libraries.
nt_driver() {
  local name=$1 desc=$2 def=$3
  shift 3
  $CC "${CFLAGS[@]}" -DNT_SP=0 -c "$src/drivers/${name%.sys}.c" -o "$b/$name.o"
  resource "$name" 0 VFT_DRV VFT2_DRV_SYSTEM "$name" "$desc"
  local extra=()
  [ -n "$def" ] && extra=(-Wl,--kill-at "$def")
  $CC "${LDFLAGS[@]}" -Wl,--image-base,0x10000 -Wl,-e,_DriverEntry@8 -o "$out/nt351/common/$name" \
    "$b/$name.o" "$b/$name.res" "${extra[@]}" "$@"
}
# Export drivers: their images are named by NAME (an executable, as NT's export drivers are).
sed 's/^LIBRARY /NAME /' "$src/drivers/ndis.def" > "$b/ndis-image.def"
sed 's/^LIBRARY /NAME /' "$src/drivers/tdi.def" > "$b/tdi-image.def"
nt_driver atdisk.sys "AT Disk Driver" "" "$b/libntoskrnl.a" "$b/libhal.a"
nt_driver fastfat.sys "FAT File System Driver" "" "$b/libntoskrnl.a"
nt_driver ndis.sys "NDIS 3.0 wrapper" "$b/ndis-image.def" "$b/libntoskrnl.a" "$b/libhal.a"
nt_driver elnk3.sys "3Com EtherLink III NDIS miniport" "" "$b/libndis.a" "$b/libntoskrnl.a" "$b/libhal.a"
nt_driver tdi.sys "TDI Wrapper" "$b/tdi-image.def" "$b/libntoskrnl.a"
nt_driver nbf.sys "NetBEUI Frame Protocol Driver" "" "$b/libndis.a" "$b/libtdi.a" "$b/libntoskrnl.a"
nt_driver afd.sys "Ancillary Function Driver for WinSock" "" "$b/libtdi.a" "$b/libntoskrnl.a"
nt_driver rdr.sys "Redirector" "" "$b/libtdi.a" "$b/libntoskrnl.a"

# --- sample drivers for run-driver (fixtures/src/samples) ---
mkdir -p "$out/samples"
$CC "${CFLAGS[@]}" -c fixtures/src/samples/ioctl.c -o "$b/ioctl.o"
$CC "${LDFLAGS[@]}" -Wl,--image-base,0x10000 -Wl,-e,_DriverEntry@8 -o "$out/samples/ioctl.sys" "$b/ioctl.o" "$b/libntoskrnl.a"
sample() { # name libs...: fixtures/src/samples/<name>.c -> samples/<name>.sys
  local name=$1
  shift
  $CC "${CFLAGS[@]}" -c "fixtures/src/samples/$name.c" -o "$b/$name.o"
  $CC "${LDFLAGS[@]}" -Wl,--image-base,0x10000 -Wl,-e,_DriverEntry@8 -o "$out/samples/$name.sys" "$b/$name.o" "$@"
}
sample layered "$b/libntoskrnl.a"
sample modules "$b/libntoskrnl.a"
sample services "$b/libntoskrnl.a"
$DLLTOOL -k -d fixtures/src/samples/wdm.def -l "$b/libwdm.a"
sample wdm "$b/libwdm.a"

# --- AMD64 samples (fixtures/src/samples/ioctl.c, layered.c, modules.c and wdm.c again), with Debian's x86_64 mingw-w64 ---
# Same source and flags but for unwind tables (x64 images keep .pdata/.xdata, as WDK builds do); it
# imports the kernel's undecorated names (the x86 import library's, without @N).
CC64=x86_64-w64-mingw32-gcc
DLLTOOL64=x86_64-w64-mingw32-dlltool
for tool in "$CC64" "$DLLTOOL64"; do
  command -v "$tool" >/dev/null || {
    echo "build-fixtures.sh: $tool not found; install gcc-mingw-w64-x86-64, or run ./scripts/setup.sh --fixtures" >&2
    exit 3
  }
done
mkdir -p "$out/samples/amd64"
sed -E 's/^(  [A-Za-z_][A-Za-z_0-9]*)@[0-9]+ /\1 /' "$b/imp-ntoskrnl.def" >"$b/imp-ntoskrnl64.def"
$DLLTOOL64 -d "$b/imp-ntoskrnl64.def" -l "$b/libntoskrnl64.a"
CFLAGS64=()
for f in "${CFLAGS[@]}"; do [ "$f" = -fno-asynchronous-unwind-tables ] || CFLAGS64+=("$f"); done
# wdm.sys's own import list, undecorated (x64 has no @N and no fastcall).
sed -E 's/^  @?([A-Za-z_][A-Za-z_0-9]*)@[0-9]+$/  \1/' fixtures/src/samples/wdm.def >"$b/wdm64.def"
$DLLTOOL64 -d "$b/wdm64.def" -l "$b/libwdm64.a"
sample64() { # name [import library]: fixtures/src/samples/<name>.c -> samples/amd64/<name>.sys
  $CC64 "${CFLAGS64[@]}" -c "fixtures/src/samples/$1.c" -o "$b/$1-64.o"
  $CC64 -nostdlib -s -Wl,--subsystem,native:5.02 -Wl,--major-os-version,5 -Wl,--minor-os-version,2 \
    -Wl,--file-alignment,0x200 -Wl,--section-alignment,0x1000 -Wl,--enable-reloc-section \
    -Wl,--disable-dynamicbase -Wl,--disable-nxcompat -Wl,--no-insert-timestamp \
    -Wl,--image-base,0x140000000 -Wl,-e,DriverEntry -o "$out/samples/amd64/$1.sys" "$b/$1-64.o" "${2:-$b/libntoskrnl64.a}"
}
sample64 ioctl
sample64 layered
sample64 modules
sample64 wdm "$b/libwdm64.a"

# --- CD media and installed image sets, assembled from the images above ---
bash "$src/assemble.sh" "$out/nt351" "$root" "$src"
# Services move from machine.yaml into each set's SYSTEM hive (scripts/build-hives.ts).
node_modules/.bin/tsx scripts/build-hives.ts "$root"

# --- Alpha AXP images (our PE writer, code from alpha-linux-gnu-as), media and image sets ---
node_modules/.bin/tsx scripts/build-alpha-fixtures.ts --out "$root" >/dev/null

# --- install or compare ---
if [ "$check" = 1 ]; then
  status=0
  count=0
  while IFS= read -r f; do
    rel=${f#"$root"/}
    count=$((count + 1))
    if ! cmp -s "$f" "fixtures/$rel"; then
      echo "differs: fixtures/$rel" >&2
      status=1
    fi
  done < <(find "$root" -type f | sort)
  # Files that the build no longer makes are stale too.
  while IFS= read -r f; do
    [ -e "$root/${f#fixtures/}" ] || { echo "not built any more: $f" >&2; status=1; }
  done < <(find fixtures/bin fixtures/media fixtures/imagesets -type f 2>/dev/null | sort)
  [ "$status" = 0 ] && echo "build-fixtures.sh --check: $count file(s) identical to fixtures/"
  exit "$status"
fi
rm -rf fixtures/bin fixtures/media fixtures/imagesets
cp -r "$root"/. fixtures/
echo "build-fixtures.sh: $(find "$root" -type f | wc -l) file(s) written to fixtures/{bin,media,imagesets}"
