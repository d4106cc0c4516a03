// Hand-made hostile hives for the bounds the fuzzer may not reach by chance: cycles, shared lists, nested
// index roots, counts larger than their cells, data larger than the file. Each is a hive from our writer
// with a few fields patched and the checksum fixed. Used by malformed.test.ts, and written to
// test/regf/corpus/crafted-<sha1>.bin by `npx tsx test/regf/crafted.ts --write`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseBlockChecksum, Hive, layout as L, regValue as V, writeHive } from '../../src/regf/index.js';
import { CORPUS_DIR, sha1 } from './fuzz.js';

/** A crafted input and the structure.field its MalformedHiveError must name. */
export interface CraftedCase {
  name: string;
  bytes: Uint8Array;
  expect: string;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const fix = (b: Uint8Array): Uint8Array => {
  view(b).setUint32(L.BASE_BLOCK.CheckSum, baseBlockChecksum(b), true);
  return b;
};
/** File offset of field `at` of the data of the cell at hive offset `cell`. */
const data = (cell: number, at: number) => L.HBLOCK_SIZE + cell + 4 + at;

function base(minor = 2) {
  const bytes = writeHive(
    {
      name: 'R',
      values: [V.dword('d', 1), V.sz('s', 'a string long enough for its own cell')],
      subkeys: [{ name: 'A', subkeys: [{ name: 'B' }] }, { name: 'C' }],
    },
    { minor },
  );
  const hive = Hive.parse(bytes);
  const root = hive.root();
  const a = root.subkey('A')!;
  const list = (k: typeof root) => view(bytes).getUint32(data(k.offset, L.NK.SubKeyList), true);
  return { bytes, root, a, b: a.subkey('B')!, c: root.subkey('C')!, rootList: list(root), aList: list(a) };
}

/** The crafted cases. */
export function craftedCases(): CraftedCase[] {
  const out: CraftedCase[] = [];
  {
    // B's (empty) subkey list replaced by A's list: A -> B -> B... a cycle through a shared list.
    const h = base();
    const v = view(h.bytes);
    v.setUint32(data(h.b.offset, L.NK.SubKeyCount), 1, true);
    v.setUint32(data(h.b.offset, L.NK.SubKeyList), h.aList, true);
    out.push({ name: 'cycle through a shared list', bytes: fix(h.bytes), expect: 'subkey list.Element' });
  }
  {
    // A's list element points at the root: the root is its own grandchild.
    const h = base();
    view(h.bytes).setUint32(data(h.aList, L.LIST.Elements), h.root.offset, true);
    out.push({ name: 'key that is its own ancestor', bytes: fix(h.bytes), expect: 'subkey list.Element' });
  }
  {
    // An index root whose element is itself: nested index roots, unbounded without the depth limit.
    const h = base();
    const v = view(h.bytes);
    v.setUint16(data(h.rootList, L.LIST.Signature), L.SIG.ri, true);
    v.setUint16(data(h.rootList, L.LIST.Count), 1, true);
    v.setUint32(data(h.rootList, L.LIST.Elements), h.rootList, true);
    out.push({ name: 'index root pointing at itself', bytes: fix(h.bytes), expect: 'subkey list.Signature' });
  }
  {
    // A value count of 2^32-1 with a list cell of 8 bytes.
    const h = base();
    view(h.bytes).setUint32(data(h.root.offset, L.NK.ValueCount), 0xffffffff, true);
    out.push({
      name: 'value count larger than its list',
      bytes: fix(h.bytes),
      expect: 'value list.ValueCount',
    });
  }
  {
    // A subkey list count of 65535 in a cell of 12 bytes.
    const h = base();
    view(h.bytes).setUint16(data(h.rootList, L.LIST.Count), 0xffff, true);
    out.push({ name: 'list count larger than its cell', bytes: fix(h.bytes), expect: 'subkey list.Count' });
  }
  {
    // Declared hive bins larger than the file.
    const h = base();
    view(h.bytes).setUint32(L.BASE_BLOCK.Length, 0x100000, true);
    out.push({ name: 'hive bins size past the end', bytes: fix(h.bytes), expect: 'base block.Length' });
  }
  {
    // A big data value (version 1.5) claiming 4 GB - 1 of segments.
    const bytes = writeHive({ name: 'R', values: [V.binary('big', new Uint8Array(20_000))] }, { minor: 5 });
    const vk = Hive.parse(bytes).root().value('big')!;
    view(bytes).setUint32(data(vk.offset, L.VK.DataLength), 0x7fffffff, true);
    out.push({ name: 'big data longer than the file', bytes: fix(bytes), expect: 'db.Count' });
  }
  {
    // Inline data claiming 0x7fffffff bytes.
    const h = base();
    const vk = h.root.value('d')!;
    view(h.bytes).setUint32(data(vk.offset, L.VK.DataLength), 0xffffffff, true);
    out.push({ name: 'inline data over 4 bytes', bytes: fix(h.bytes), expect: 'vk.DataLength' });
  }
  {
    // A key name length running past its cell.
    const h = base();
    view(h.bytes).setUint16(data(h.c.offset, L.NK.NameLength), 0xfff0, true);
    out.push({ name: 'name past its cell', bytes: fix(h.bytes), expect: 'nk.NameLength' });
  }
  {
    // A subkey list element pointing into a free cell (the end of the last bin).
    const h = base();
    const hive = Hive.parse(h.bytes);
    const last = hive.bins[hive.bins.length - 1]!;
    view(h.bytes).setUint32(data(h.aList, L.LIST.Elements), last.end - 16 - L.HBLOCK_SIZE, true);
    out.push({ name: 'element pointing at a free cell', bytes: fix(h.bytes), expect: 'nk.cell' });
  }
  {
    // A cell size that runs past its hive bin.
    const h = base();
    view(h.bytes).setInt32(L.HBLOCK_SIZE + h.c.offset, -0x2000, true);
    out.push({ name: 'cell larger than its bin', bytes: fix(h.bytes), expect: 'nk.cell size' });
  }
  {
    // A chain of 600 nested keys: deeper than NT's 512 levels.
    let k: { name: string; subkeys?: object[] } = { name: 'leaf' };
    for (let i = 0; i < 600; i++) k = { name: `k${i}`, subkeys: [k] };
    out.push({ name: 'keys nested 600 deep', bytes: writeHive(k as never), expect: 'nk.SubKeyCount' });
  }
  return out;
}

if (process.argv.includes('--write')) {
  for (const c of craftedCases()) {
    const file = `crafted-${sha1(c.bytes).slice(0, 12)}.bin`;
    writeFileSync(join(CORPUS_DIR, file), c.bytes);
    process.stdout.write(`${file}: ${c.name}\n`);
  }
}
