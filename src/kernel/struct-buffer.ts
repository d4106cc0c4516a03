// A guest structure assembled in one host buffer and stored with one guest write: each small guest
// write is an engine round trip, and a DRIVER_OBJECT written field by field took ~40 (issue 19).

import type { AnyCpu } from '../cpu/abi.js';
import type { X64Cpu } from '../cpu/engine.js';
import type { GuestMemory } from './guest.js';

/**
 * A scratch buffer the next StructBuffer takes while no other holds it (write() hands it back): a new
 * Uint8Array of a structure's size (more than V8 keeps on its heap) was an off-heap allocation per
 * structure, ~1.5% of a warm boot (issue 19). The engine copies what it writes (CpuEngine.write).
 */
let spare: Uint8Array | null = new Uint8Array(0x1000);

/**
 * `size` bytes to be written at guest `address`, zero except for the fields set. Only for memory that
 * is zero before (fresh pool or static blocks, which are never reused): there the one write equals
 * writing the fields one by one. Pointers are stored as GuestMemory.setPtr stores them (8 bytes of
 * guest address on AMD64). Set the fields, then write() once.
 */
export class StructBuffer {
  private readonly bytes: Uint8Array;
  private written = false;
  /** Whether `bytes` is the spare buffer's start, handed back by write(). */
  private readonly scratch: boolean;
  /** The AMD64 engine, whose guestAddress gives a pointer field's 8 bytes; null on 32-bit machines. */
  private readonly x64: X64Cpu | null;

  constructor(
    private readonly ctx: { cpu: AnyCpu; mem: GuestMemory },
    readonly address: number,
    size: number,
  ) {
    this.scratch = spare !== null && size <= spare.length;
    if (this.scratch) {
      this.bytes = spare!.subarray(0, size).fill(0);
      spare = null;
    } else this.bytes = new Uint8Array(size);
    this.x64 = ctx.cpu.arch === 'amd64' ? ctx.cpu : null;
  }

  u8(offset: number, value: number): void {
    this.bytes[offset] = value;
  }
  u16(offset: number, value: number): void {
    this.bytes[offset] = value;
    this.bytes[offset + 1] = value >>> 8;
  }
  u32(offset: number, value: number): void {
    this.bytes[offset] = value;
    this.bytes[offset + 1] = value >>> 8;
    this.bytes[offset + 2] = value >>> 16;
    this.bytes[offset + 3] = value >>> 24;
  }
  /** A pointer field holding host address `value` (0 is NULL). */
  ptr(offset: number, value: number): void {
    if (this.x64 === null) this.u32(offset, value);
    else {
      const v = this.x64.guestAddress(value);
      this.u32(offset, Number(v & 0xffffffffn));
      this.u32(offset + 4, Number(v >> 32n));
    }
  }
  /** UTF-16LE `text` at `offset`, NUL-terminated when the buffer has room for it. */
  utf16(offset: number, text: string): void {
    for (let i = 0; i < text.length; i++) this.u16(offset + 2 * i, text.charCodeAt(i));
  }
  /** A UNICODE_STRING at `offset` whose buffer holds `length` bytes of `maximumLength` at `buffer`. */
  unicodeString(offset: number, length: number, maximumLength: number, buffer: number): void {
    const U = this.ctx.mem.layouts.UNICODE_STRING;
    this.u16(offset + U.Length, length);
    this.u16(offset + U.MaximumLength, maximumLength);
    this.ptr(offset + U.Buffer, buffer);
  }

  /** Stores the buffer in guest memory (GuestAccessError when it is not writable), once, last. */
  write(): void {
    if (this.written) throw new Error('a StructBuffer is written once');
    this.written = true;
    try {
      this.ctx.mem.write(this.address, this.bytes);
    } finally {
      if (this.scratch) spare = new Uint8Array(this.bytes.buffer);
    }
  }
}
