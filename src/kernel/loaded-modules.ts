// The loaded-module list in guest memory, as MmLoadSystemImage and the OS loader keep it:
// PsLoadedModuleList heads a ring of LDR_DATA_TABLE_ENTRY in load order, and each driver's
// DRIVER_OBJECT.DriverSection points at its entry, so guest code that walks the list works.
import { utf16z } from './guest.js';
import type { EmulatedKernel } from './kernel.js';
import { X86_STRUCTURES } from './objects.js';

/** LDR_DATA_TABLE_ENTRY (x86): 0x48 bytes; `mem.layouts.LDR_DATA_TABLE_ENTRY` is the running machine's. */
export const LDR_DATA_TABLE_ENTRY = X86_STRUCTURES.LDR_DATA_TABLE_ENTRY;

export interface ListedModule {
  ntPath: string;
  base: number;
  size: number;
  entryPoint: number | null;
  checkSum: number;
  timeDateStamp: number;
}

export interface LoadedModuleList {
  /** Address of the LIST_ENTRY PsLoadedModuleList. */
  head: number;
  /** True when the kernel image exports PsLoadedModuleList and the head is that variable. */
  exported: boolean;
  /** Each module's entry, by DllBase. */
  entries: Map<number, number>;
}

/**
 * Builds the list for `modules` in load order (the kernel, the HAL, then drivers and their
 * dependencies). The head is the kernel's exported PsLoadedModuleList when the image has one (later
 * NTs export it; NT 3.51 does not), else a kernel variable in kernel pool (report its address).
 * Entries and name buffers live in kernel pool, laid out for the machine (x86 or AMD64 offsets,
 * pointers 4 or 8 bytes). Model: Flags 0, LoadCount 1 for every entry.
 */
export function buildLoadedModuleList(kernel: EmulatedKernel, modules: ListedModule[]): LoadedModuleList {
  const { mem, pool } = kernel;
  const { LDR_DATA_TABLE_ENTRY: L, UNICODE_STRING: U, pointerSize: p } = mem.layouts;
  const exportedHead = kernel.ctx.systemRoutine('PsLoadedModuleList');
  const head = exportedHead ?? pool.allocateStatic(2 * p);
  kernel.ctx.statics.set('PsLoadedModuleList', head);
  const entries = new Map<number, number>();
  let last = head;
  for (const m of modules) {
    const baseName = m.ntPath.slice(m.ntPath.lastIndexOf('\\') + 1);
    const entry = pool.allocateStatic(L.size + (m.ntPath.length + baseName.length) * 2 + 4);
    const full = entry + L.size;
    const base = full + m.ntPath.length * 2 + 2;
    mem.write(full, utf16z(m.ntPath));
    mem.write(base, utf16z(baseName));
    const unicode = (at: number, text: string, buffer: number) => {
      mem.setU16(at + U.Length, text.length * 2);
      mem.setU16(at + U.MaximumLength, text.length * 2 + 2);
      mem.setPtr(at + U.Buffer, buffer);
    };
    mem.setPtr(entry + L.DllBase, m.base);
    mem.setPtr(entry + L.EntryPoint, m.entryPoint ?? 0);
    mem.setU32(entry + L.SizeOfImage, m.size);
    unicode(entry + L.FullDllName, m.ntPath, full);
    unicode(entry + L.BaseDllName, baseName, base);
    mem.setU32(entry + L.Flags, 0);
    mem.setU16(entry + L.LoadCount, 1);
    mem.setU32(entry + L.CheckSum, m.checkSum);
    mem.setU32(entry + L.TimeDateStamp, m.timeDateStamp);
    // InsertTailList(&PsLoadedModuleList, &entry->InLoadOrderLinks); the other two links are
    // kept empty (self-pointing), as kernel-mode entries leave them unused.
    mem.setPtr(entry + L.InLoadOrderLinks, head);
    mem.setPtr(entry + L.InLoadOrderLinks + p, last);
    mem.setPtr(last, entry);
    for (const links of [L.InMemoryOrderLinks, L.InInitializationOrderLinks]) {
      mem.setPtr(entry + links, entry + links);
      mem.setPtr(entry + links + p, entry + links);
    }
    last = entry;
    entries.set(m.base, entry);
  }
  mem.setPtr(last, head);
  mem.setPtr(head + p, last);
  return { head, exported: exportedHead !== null, entries };
}
