#!/usr/bin/python3
"""Reference dump of PE files by python3-pefile, in the shape test/diff/ours.ts produces from our parser.

Usage: pefile_dump.py FILE...            -> one JSON object per file on stdout (a JSON list)
       pefile_dump.py --bench N FILE...  -> parse every file N times with the same work as our benchmark
                                            and print {"files": k, "iterations": N, "seconds": t}
Run with /usr/bin/python3 (Debian's python3-pefile lives there)."""
import json
import sys
import time

import pefile

DIRS = [pefile.DIRECTORY_ENTRY[n] for n in (
    "IMAGE_DIRECTORY_ENTRY_EXPORT", "IMAGE_DIRECTORY_ENTRY_IMPORT",
    "IMAGE_DIRECTORY_ENTRY_BASERELOC", "IMAGE_DIRECTORY_ENTRY_RESOURCE")]


def s(b):
    return None if b is None else b.decode("latin1")


def version(pe):
    if not hasattr(pe, "VS_FIXEDFILEINFO"):
        return None
    f = pe.VS_FIXEDFILEINFO[0]
    ver = lambda ms, ls: "%d.%d.%d.%d" % (ms >> 16, ms & 0xFFFF, ls >> 16, ls & 0xFFFF)
    strings = {}
    for fi in getattr(pe, "FileInfo", []) or []:
        for entry in fi:
            if getattr(entry, "Key", b"") == b"StringFileInfo" and entry.StringTable:
                # First string table only, as ours reports.
                for k, v in entry.StringTable[0].entries.items():
                    strings[k.decode("utf-8", "replace")] = v.decode("utf-8", "replace")
    return {"fileVersion": ver(f.FileVersionMS, f.FileVersionLS),
            "productVersion": ver(f.ProductVersionMS, f.ProductVersionLS), "strings": strings}


def relocs(pe):
    out = []
    for block in getattr(pe, "DIRECTORY_ENTRY_BASERELOC", []):
        entries = block.entries
        i = 0
        while i < len(entries):
            e = entries[i]
            if e.type == 4 and i + 1 < len(entries):
                out.append([e.type, e.rva, entries[i + 1].struct.Data])
                i += 2
                continue
            out.append([e.type, e.rva])
            i += 1
    return out


def dump(path):
    pe = pefile.PE(path, fast_load=True)
    pe.parse_data_directories(directories=DIRS)
    exp = None
    if hasattr(pe, "DIRECTORY_ENTRY_EXPORT"):
        d = pe.DIRECTORY_ENTRY_EXPORT
        exp = {"dllName": s(d.name), "base": d.struct.Base, "entries": sorted(
            [[sym.ordinal, s(sym.name), None if sym.forwarder else sym.address, s(sym.forwarder)]
             for sym in d.symbols], key=lambda e: (e[0], e[1] or ""))}
    # pefile names some ordinal imports from its own table (ordlookup); compare what the file says.
    imports = [{"dll": s(m.dll), "entries": [
        [None, i.ordinal, None] if i.import_by_ordinal else [s(i.name), None, i.hint] for i in m.imports]}
        for m in getattr(pe, "DIRECTORY_ENTRY_IMPORT", [])]
    return {
        "file": path,
        "machine": pe.FILE_HEADER.Machine,
        "characteristics": pe.FILE_HEADER.Characteristics,
        "imageBase": pe.OPTIONAL_HEADER.ImageBase,
        "entryPoint": pe.OPTIONAL_HEADER.AddressOfEntryPoint,
        "subsystem": pe.OPTIONAL_HEADER.Subsystem,
        "sections": [[s(x.Name.rstrip(b"\0")), x.VirtualAddress, x.Misc_VirtualSize, x.SizeOfRawData,
                      x.PointerToRawData, x.Characteristics] for x in pe.sections],
        "exports": exp,
        "imports": imports,
        "relocations": relocs(pe),
        "version": version(pe),
        "checksum": {"header": pe.OPTIONAL_HEADER.CheckSum, "computed": pe.generate_checksum()},
        "warnings": pe.get_warnings(),
    }


def bench(n, paths):
    datas = [open(p, "rb").read() for p in paths]
    t = time.perf_counter()
    for _ in range(n):
        for data in datas:
            pe = pefile.PE(data=data, fast_load=True)
            pe.parse_data_directories(directories=DIRS)
            version(pe)
            pe.generate_checksum()
    return time.perf_counter() - t


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--bench":
        n = int(args[1])
        print(json.dumps({"files": len(args) - 2, "iterations": n, "seconds": bench(n, args[2:])}))
    else:
        print(json.dumps([dump(p) for p in args]))
