// Interprets the base relocation directory and applies relocations to a mapped image at a new base,
// including the two-slot HIGHADJ used by Alpha and MIPS images.
import type { DataDirectory } from './headers.js';
import type { PeImage } from './image.js';
import { IMAGE_BASE_RELOCATION as B, RelocType } from './layout.js';
import { type Rva, rva } from './types.js';

const S = 'IMAGE_BASE_RELOCATION';

export interface Relocation {
  /** IMAGE_REL_BASED_* type (high 4 bits of the entry). */
  type: number;
  /** Address the fix-up applies to. */
  rva: Rva;
  /** HIGHADJ only: the low 16 bits of the 32-bit value, stored in the following slot. */
  param?: number;
}

export interface RelocationBlock {
  pageRva: Rva;
  sizeOfBlock: number;
  entries: Relocation[];
}

/** Name of a relocation type for reports; types 5, 7, 8, 9 depend on the machine. */
export function relocTypeName(type: number, machine: number): string {
  switch (type) {
    case RelocType.ABSOLUTE:
      return 'ABSOLUTE';
    case RelocType.HIGH:
      return 'HIGH';
    case RelocType.LOW:
      return 'LOW';
    case RelocType.HIGHLOW:
      return 'HIGHLOW';
    case RelocType.HIGHADJ:
      return 'HIGHADJ';
    case 5:
      return isMips(machine) ? 'MIPS_JMPADDR' : isArm(machine) ? 'ARM_MOV32' : 'MACHINE_SPECIFIC_5';
    case 7:
      return isArm(machine) ? 'THUMB_MOV32' : 'MACHINE_SPECIFIC_7';
    case 9:
      return isMips(machine) ? 'MIPS_JMPADDR16' : machine === 0x200 ? 'IA64_IMM64' : 'MACHINE_SPECIFIC_9';
    case RelocType.DIR64:
      return 'DIR64';
    default:
      return `TYPE_${type}`;
  }
}
const isMips = (m: number) =>
  m === 0x162 || m === 0x166 || m === 0x168 || m === 0x169 || m === 0x266 || m === 0x366;
const isArm = (m: number) => m === 0x1c0 || m === 0x1c2 || m === 0x1c4;

export function parseRelocations(img: PeImage, dir: DataDirectory | null): RelocationBlock[] {
  if (!dir) return [];
  const blocks: RelocationBlock[] = [];
  const end = dir.rva + dir.size;
  const sizeOfImage = img.headers.optionalHeader.sizeOfImage;
  let at = dir.rva as number;
  let consumed = 0;
  while (at + B.size <= end) {
    const pageRva = img.readU32(rva(at + B.VirtualAddress), S, 'VirtualAddress');
    const sizeOfBlock = img.readU32(rva(at + B.SizeOfBlock), S, 'SizeOfBlock');
    const where = img.rvaToOffset(rva(at)) ?? -1;
    if (sizeOfBlock === 0 && pageRva === 0) break; // padding some linkers leave at the end
    if (sizeOfBlock < B.size || sizeOfBlock % 2 !== 0 || at + sizeOfBlock > end) {
      throw img.reader.error(
        where,
        S,
        'SizeOfBlock',
        `0x${sizeOfBlock.toString(16)} is not an even size of at least 8 inside the directory (ends at RVA 0x${end.toString(16)})`,
      );
    }
    // Relocation entries are file bytes: together the blocks cannot outgrow the file. Without this a
    // huge SizeOfBlock over zero fill, or blocks repeated by sections mapping the same file bytes,
    // drives an unbounded loop and allocation.
    consumed += sizeOfBlock;
    if (consumed > img.reader.length) {
      throw img.reader.error(
        where,
        S,
        'SizeOfBlock',
        `blocks so far total 0x${consumed.toString(16)} bytes, more than the file's 0x${img.reader.length.toString(16)}`,
      );
    }
    if (pageRva >= sizeOfImage) {
      throw img.reader.error(
        where,
        S,
        'VirtualAddress',
        `page RVA 0x${pageRva.toString(16)} is past SizeOfImage`,
      );
    }
    const count = (sizeOfBlock - B.size) / 2;
    const entries: Relocation[] = [];
    for (let i = 0; i < count; i++) {
      const word = img.readU16(rva(at + B.size + 2 * i), S, `TypeOffset[${i}]`);
      const type = word >>> 12;
      const target = rva(pageRva + (word & 0xfff));
      if (type === RelocType.HIGHADJ) {
        if (i + 1 >= count) {
          throw img.reader.error(
            where,
            S,
            `TypeOffset[${i}]`,
            'HIGHADJ is the last slot; its low half is missing',
          );
        }
        i++;
        entries.push({
          type,
          rva: target,
          param: img.readU16(rva(at + B.size + 2 * i), S, `TypeOffset[${i}]`),
        });
      } else {
        entries.push({ type, rva: target });
      }
    }
    blocks.push({ pageRva: rva(pageRva), sizeOfBlock, entries });
    at += sizeOfBlock;
  }
  return blocks;
}

/** A relocation that could not be applied (unsupported type for the machine, or outside the image). */
export interface RelocationFailure {
  rva: Rva;
  type: number;
  reason: string;
}

/**
 * Applies `blocks` to `mapped` (the image laid out by RVA) for a move by `delta` bytes
 * (new base - preferred base), as NT's LdrRelocateImage does. Returns the fix-ups it could not apply;
 * it never writes outside `mapped`.
 */
export function applyRelocations(
  mapped: Uint8Array,
  blocks: readonly RelocationBlock[],
  delta: bigint,
  machine: number,
): RelocationFailure[] {
  const view = new DataView(mapped.buffer, mapped.byteOffset, mapped.byteLength);
  const failures: RelocationFailure[] = [];
  const d32 = Number(BigInt.asUintN(32, delta));
  for (const block of blocks) {
    for (const r of block.entries) {
      const size = r.type === RelocType.DIR64 ? 8 : r.type === RelocType.HIGHLOW || r.type === 5 ? 4 : 2;
      if (r.type === RelocType.ABSOLUTE) continue;
      if (r.rva + size > mapped.length) {
        failures.push({ rva: r.rva, type: r.type, reason: 'fix-up lies outside the mapped image' });
        continue;
      }
      switch (r.type) {
        case RelocType.HIGH:
          view.setUint16(r.rva, (view.getUint16(r.rva, true) + (d32 >>> 16)) & 0xffff, true);
          break;
        case RelocType.LOW:
          view.setUint16(r.rva, (view.getUint16(r.rva, true) + d32) & 0xffff, true);
          break;
        case RelocType.HIGHLOW:
          view.setUint32(r.rva, (view.getUint32(r.rva, true) + d32) >>> 0, true);
          break;
        case RelocType.HIGHADJ: {
          // High half of (high << 16) + (signed low) + delta, rounded for the sign of the new low half
          // (LdrProcessRelocationBlock: Temp = *p << 16; Temp += (LONG)(SHORT)next; Temp += Delta;
          // Temp += 0x8000; *p = HIWORD(Temp)).
          const low = ((r.param ?? 0) << 16) >> 16;
          const full = ((view.getUint16(r.rva, true) << 16) + low + d32 + 0x8000) >>> 0;
          view.setUint16(r.rva, full >>> 16, true);
          break;
        }
        case RelocType.DIR64:
          view.setBigUint64(r.rva, BigInt.asUintN(64, view.getBigUint64(r.rva, true) + delta), true);
          break;
        case 5:
          if (isMips(machine)) {
            // J/JAL target: 26-bit word index within the 256 MB region.
            const insn = view.getUint32(r.rva, true);
            const target = (((insn & 0x03ffffff) << 2) + d32) >>> 2;
            view.setUint32(r.rva, ((insn & 0xfc000000) | (target & 0x03ffffff)) >>> 0, true);
            break;
          }
          failures.push({
            rva: r.rva,
            type: r.type,
            reason: `type 5 is not supported for machine 0x${machine.toString(16)}`,
          });
          break;
        case RelocType.RESERVED:
        case 7:
          // IMAGE_REL_BASED_SECTION and REL32: NT's LdrProcessRelocationBlock ignores them.
          break;
        default:
          failures.push({ rva: r.rva, type: r.type, reason: `relocation type ${r.type} is not supported` });
      }
    }
  }
  return failures;
}
