// Interprets the resource directory (a walker guarded against loops and runaway counts) and the
// VS_VERSIONINFO resource: VS_FIXEDFILEINFO plus StringFileInfo strings.
import type { DataDirectory } from './headers.js';
import type { PeImage } from './image.js';
import {
  IMAGE_RESOURCE_DATA_ENTRY as DE,
  VS_FIXEDFILEINFO as FFI,
  IMAGE_RESOURCE_DATA_IS_DIRECTORY,
  IMAGE_RESOURCE_NAME_IS_STRING,
  VS_VERSION_NODE as N,
  IMAGE_RESOURCE_DIRECTORY as RD,
  IMAGE_RESOURCE_DIRECTORY_ENTRY as RE,
  RT_VERSION,
  VS_FFI_SIGNATURE,
} from './layout.js';
import { NAME_BYTES_PER_FILE_BYTE } from './names.js';
import { type Rva, rva } from './types.js';

/** Resource directory depth NT uses (type / name / language); deeper trees are malformed. */
const MAX_DEPTH = 3;
/** Upper bound on entries visited in one walk, whatever the headers claim. */
const MAX_ENTRIES = 65536;

export interface ResourceLeaf {
  /** Path of ids or names from the root: [type, name, language]. */
  path: (number | string)[];
  dataRva: Rva;
  size: number;
  codePage: number;
}

/** Every data leaf of the resource tree, in directory order. Loops and over-deep trees are malformed. */
export function walkResources(
  img: PeImage,
  dir: DataDirectory | null,
  only?: { type: number },
): ResourceLeaf[] {
  if (!dir) return [];
  const root = dir.rva as number;
  const leaves: ResourceLeaf[] = [];
  const onPath = new Set<number>();
  let visited = 0;
  const names = new ResourceNames(img, root);

  const visit = (offset: number, depth: number, path: (number | string)[]): void => {
    const at = root + offset;
    const S = 'IMAGE_RESOURCE_DIRECTORY';
    if (onPath.has(offset)) {
      throw img.reader.error(
        img.rvaToOffset(rva(at)) ?? -1,
        S,
        'OffsetToData',
        'resource directory loops back on itself',
      );
    }
    if (depth >= MAX_DEPTH) {
      throw img.reader.error(
        img.rvaToOffset(rva(at)) ?? -1,
        S,
        'OffsetToData',
        `resource tree deeper than ${MAX_DEPTH}`,
      );
    }
    onPath.add(offset);
    const count =
      img.readU16(rva(at + RD.NumberOfNamedEntries), S, 'NumberOfNamedEntries') +
      img.readU16(rva(at + RD.NumberOfIdEntries), S, 'NumberOfIdEntries');
    for (let i = 0; i < count; i++) {
      if (++visited > MAX_ENTRIES) {
        throw img.reader.error(-1, S, 'NumberOfIdEntries', `more than ${MAX_ENTRIES} resource entries`);
      }
      const e = at + RD.size + i * RE.size;
      const nameField = img.readU32(rva(e + RE.Name), 'IMAGE_RESOURCE_DIRECTORY_ENTRY', 'Name');
      const dataField = img.readU32(
        rva(e + RE.OffsetToData),
        'IMAGE_RESOURCE_DIRECTORY_ENTRY',
        'OffsetToData',
      );
      const key = (nameField & IMAGE_RESOURCE_NAME_IS_STRING) !== 0 ? names.read(nameField) : nameField;
      if (depth === 0 && only && key !== only.type) continue;
      const childPath = [...path, key];
      if ((dataField & IMAGE_RESOURCE_DATA_IS_DIRECTORY) !== 0) {
        visit(dataField & ~IMAGE_RESOURCE_DATA_IS_DIRECTORY, depth + 1, childPath);
      } else {
        const d = root + dataField;
        const DS = 'IMAGE_RESOURCE_DATA_ENTRY';
        leaves.push({
          path: childPath,
          dataRva: rva(img.readU32(rva(d + DE.OffsetToData), DS, 'OffsetToData')),
          size: img.readU32(rva(d + DE.Size), DS, 'Size'),
          codePage: img.readU32(rva(d + DE.CodePage), DS, 'CodePage'),
        });
      }
    }
    onPath.delete(offset);
  };
  visit(0, 0, []);
  return leaves;
}

const utf16 = new TextDecoder('utf-16le');

/**
 * Resource names (IMAGE_RESOURCE_DIR_STRING_U: length-prefixed UTF-16 at a directory-relative offset),
 * decoded once per offset; their bytes may total at most NAME_BYTES_PER_FILE_BYTE per byte of the file,
 * as for export and import names (65536 entries naming 0xffff-character strings would otherwise decode
 * gigabytes).
 */
class ResourceNames {
  private readonly cache = new Map<number, string>();
  private bytes = 0;
  private readonly budget: number;

  constructor(
    private readonly img: PeImage,
    private readonly root: number,
  ) {
    this.budget = NAME_BYTES_PER_FILE_BYTE * img.reader.length + 2 * 0xffff;
  }

  read(field: number): string {
    const offset = field & ~IMAGE_RESOURCE_NAME_IS_STRING;
    const known = this.cache.get(offset);
    if (known !== undefined) return known;
    const at = rva(this.root + offset);
    const S = 'IMAGE_RESOURCE_DIR_STRING_U';
    const length = this.img.readU16(at, S, 'Length');
    this.bytes += 2 + length * 2;
    if (this.bytes > this.budget) {
      throw this.img.reader.error(
        this.img.rvaToOffset(at) ?? -1,
        S,
        'Length',
        `distinct resource names total more than ${this.budget} bytes (${NAME_BYTES_PER_FILE_BYTE} per byte of the file)`,
      );
    }
    const name = utf16.decode(this.img.readBytes(rva(at + 2), length * 2, S, 'NameString'));
    this.cache.set(offset, name);
    return name;
  }
}

export interface VersionInfo {
  /** From VS_FIXEDFILEINFO, as "a.b.c.d". */
  fileVersion: string;
  productVersion: string;
  fileFlags: number;
  fileOS: number;
  fileType: number;
  fileSubtype: number;
  /** StringFileInfo values of the first string table (OriginalFilename, FileVersion, CompanyName…). */
  strings: Record<string, string>;
  /** Key of the string table used, e.g. "040904B0"; null when there is no StringFileInfo. */
  stringTable: string | null;
}

const versionString = (ms: number, ls: number) => `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}`;
const align4 = (n: number) => (n + 3) & ~3;

/**
 * Parses the first RT_VERSION resource; null when the image has none. Long because VS_VERSIONINFO is
 * a tree of length-prefixed blocks read in one walk, each level bounds-checked against its parent.
 */
export function parseVersion(img: PeImage, dir: DataDirectory | null): VersionInfo | null {
  const leaf = walkResources(img, dir, { type: RT_VERSION })[0];
  if (!leaf) return null;
  const r = img.reader;
  // Too small for a root node: reject before mapping it (an empty leaf at the very end of a section's
  // file bytes has no file offset at all).
  if (leaf.size < N.szKey + 2) {
    throw r.error(
      -1,
      'IMAGE_RESOURCE_DATA_ENTRY',
      'Size',
      `0x${leaf.size.toString(16)} bytes is too small for VS_VERSIONINFO`,
    );
  }
  const bytes = img.readBytes(leaf.dataRva, leaf.size, 'VS_VERSIONINFO', 'data');
  // readBytes succeeded, so the resource's bytes are in the file from this offset on.
  const base = img.rvaToOffset(leaf.dataRva)!;
  const S = 'VS_VERSIONINFO';

  // Each node: wLength, wValueLength, wType, szKey (UTF-16, NUL), padding to 4, value, padding, children.
  interface Node {
    key: string;
    valueAt: number;
    valueLength: number;
    type: number;
    childrenAt: number;
    end: number;
  }
  const node = (at: number, limit: number, structure: string): Node => {
    const length = r.u16(at + N.wLength, structure, 'wLength');
    const end = at + length;
    if (length < N.szKey + 2 || end > limit) {
      throw r.error(
        at,
        structure,
        'wLength',
        `0x${length.toString(16)} does not fit in its parent (ends at 0x${limit.toString(16)})`,
      );
    }
    const valueLength = r.u16(at + N.wValueLength, structure, 'wValueLength');
    const type = r.u16(at + N.wType, structure, 'wType');
    const key = r.utf16z(at + N.szKey, end, structure, 'szKey');
    const valueAt = align4(at + N.szKey + key.bytes - base) + base;
    const valueBytes = type === 1 ? valueLength * 2 : valueLength; // text values count WCHARs
    return {
      key: key.text,
      valueAt,
      valueLength: valueBytes,
      type,
      childrenAt: align4(valueAt + valueBytes - base) + base,
      end,
    };
  };
  const children = function* (parent: Node, structure: string): Generator<Node> {
    let at = parent.childrenAt;
    while (at + N.szKey < parent.end) {
      const child = node(at, parent.end, structure);
      yield child;
      const next = align4(child.end - base) + base;
      if (next <= at) break;
      at = next;
    }
  };

  const root = node(base, base + bytes.length, S);
  if (root.key !== 'VS_VERSION_INFO') {
    throw r.error(base + N.szKey, S, 'szKey', `expected "VS_VERSION_INFO", found "${root.key}"`);
  }
  if (root.valueLength < FFI.size) {
    throw r.error(
      base + N.wValueLength,
      S,
      'wValueLength',
      `0x${root.valueLength.toString(16)} is smaller than VS_FIXEDFILEINFO (0x34)`,
    );
  }
  const f = root.valueAt;
  const F = 'VS_FIXEDFILEINFO';
  const sig = r.u32(f + FFI.dwSignature, F, 'dwSignature');
  if (sig !== VS_FFI_SIGNATURE) {
    throw r.error(f, F, 'dwSignature', `expected 0xfeef04bd, found 0x${sig.toString(16)}`);
  }
  const info: VersionInfo = {
    fileVersion: versionString(
      r.u32(f + FFI.dwFileVersionMS, F, 'dwFileVersionMS'),
      r.u32(f + FFI.dwFileVersionLS, F, 'dwFileVersionLS'),
    ),
    productVersion: versionString(
      r.u32(f + FFI.dwProductVersionMS, F, 'dwProductVersionMS'),
      r.u32(f + FFI.dwProductVersionLS, F, 'dwProductVersionLS'),
    ),
    fileFlags: r.u32(f + FFI.dwFileFlags, F, 'dwFileFlags'),
    fileOS: r.u32(f + FFI.dwFileOS, F, 'dwFileOS'),
    fileType: r.u32(f + FFI.dwFileType, F, 'dwFileType'),
    fileSubtype: r.u32(f + FFI.dwFileSubtype, F, 'dwFileSubtype'),
    strings: {},
    stringTable: null,
  };
  for (const block of children(root, 'StringFileInfo')) {
    if (block.key !== 'StringFileInfo') continue;
    for (const table of children(block, 'StringTable')) {
      info.stringTable = table.key;
      for (const str of children(table, 'String')) {
        // wValueLength counts WCHARs including the NUL; some linkers count bytes, so stop at the NUL.
        const limit = Math.min(str.end, str.valueAt + str.valueLength);
        info.strings[str.key] = r.utf16UpTo(str.valueAt, limit, 'String', 'Value');
      }
      return info;
    }
  }
  return info;
}
