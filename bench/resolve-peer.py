# The peer of bench/resolve.ts: python3-pefile resolves the same images' imports against their exports.
# Each file is loaded as pefile does by default (pefile.PE(path): every directory, the way the issue's
# figures were measured); with --fast, only the export and import directories are parsed.
# Prints one line of JSON: files, imports, resolved, errors.
import json, os, sys
import pefile

fast = '--fast' in sys.argv
files = [l.rstrip('\n') for l in open(sys.argv[1]) if l.strip()]
exports = {}
imports = []
errors = 0
for path in files:
    try:
        if fast:
            pe = pefile.PE(path, fast_load=True)
            pe.parse_data_directories(directories=[
                pefile.DIRECTORY_ENTRY['IMAGE_DIRECTORY_ENTRY_EXPORT'],
                pefile.DIRECTORY_ENTRY['IMAGE_DIRECTORY_ENTRY_IMPORT']])
        else:
            pe = pefile.PE(path)
    except Exception:
        errors += 1
        continue
    names, ordinals = set(), set()
    if hasattr(pe, 'DIRECTORY_ENTRY_EXPORT'):
        for s in pe.DIRECTORY_ENTRY_EXPORT.symbols:
            ordinals.add(s.ordinal)
            if s.name:
                names.add(s.name)
    exports.setdefault(os.path.basename(path).lower(), (names, ordinals))
    for d in getattr(pe, 'DIRECTORY_ENTRY_IMPORT', []):
        for i in d.imports:
            imports.append((d.dll.decode('latin1').lower(), i.name, i.ordinal))
    pe.close()
resolved = 0
for dll, name, ordinal in imports:
    m = exports.get(dll)
    if m is not None and (name in m[0] if name is not None else ordinal in m[1]):
        resolved += 1
print(json.dumps({'files': len(files), 'imports': len(imports), 'resolved': resolved, 'errors': errors}))
