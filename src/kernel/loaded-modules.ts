// The loaded-module list in guest memory, as MmLoadSystemImage and the OS loader keep it:
// PsLoadedModuleList heads a ring of LDR_DATA_TABLE_ENTRY in load order, and each driver's
// DRIVER_OBJECT.DriverSection points at its entry, so guest code that walks the list works.
import { utf16z } from './guest.js';
import type { EmulatedKernel } from './kernel.js';

/**
 * LDR_DATA_TABLE_ENTRY (x86, NT 3.10 to NT 4; Geoff Chappell's ldr_data_table_entry study and
 * ReactOS's ldrtypes.h agree on these offsets): 0x48 bytes.
 */
export const LDR_DATA_TABLE_ENTRY = {
  size: 0x48,
  InLoadOrderLinks: 0x00,
  InMemoryOrderLinks: 0x08,
  InInitializationOrderLinks: 0x10,
  DllBase: 0x18,
  EntryPoint: 0x1c,
  SizeOfImage: 0x20,
  FullDllName: 0x24,
  BaseDllName: 0x2c,
  Flags: 0x34,
  LoadCount: 0x38,
  TlsIndex: 0x3a,
  SectionPointer: 0x3c,
  CheckSum: 0x40,
  TimeDateStamp: 0x44,
} as const;

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
 * Entries and name buffers live in kernel pool. Model: Flags 0, LoadCount 1 for every entry.
 */
export function buildLoadedModuleList(kernel: EmulatedKernel, modules: ListedModule[]): LoadedModuleList {
  const { mem, pool } = kernel;
  const L = LDR_DATA_TABLE_ENTRY;
  const exportedHead = kernel.ctx.systemRoutine('PsLoadedModuleList');
  const head = exportedHead ?? pool.allocateStatic(8);
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
      mem.setU16(at, text.length * 2);
      mem.setU16(at + 2, text.length * 2 + 2);
      mem.setU32(at + 4, buffer);
    };
    mem.setU32(entry + L.DllBase, m.base);
    mem.setU32(entry + L.EntryPoint, m.entryPoint ?? 0);
    mem.setU32(entry + L.SizeOfImage, m.size);
    unicode(entry + L.FullDllName, m.ntPath, full);
    unicode(entry + L.BaseDllName, baseName, base);
    mem.setU32(entry + L.Flags, 0);
    mem.setU16(entry + L.LoadCount, 1);
    mem.setU32(entry + L.CheckSum, m.checkSum);
    mem.setU32(entry + L.TimeDateStamp, m.timeDateStamp);
    // InsertTailList(&PsLoadedModuleList, &entry->InLoadOrderLinks); the other two links are
    // kept empty (self-pointing), as kernel-mode entries leave them unused.
    mem.setU32(entry + L.InLoadOrderLinks, head);
    mem.setU32(entry + L.InLoadOrderLinks + 4, last);
    mem.setU32(last, entry);
    for (const links of [L.InMemoryOrderLinks, L.InInitializationOrderLinks]) {
      mem.setU32(entry + links, entry + links);
      mem.setU32(entry + links + 4, entry + links);
    }
    last = entry;
    entries.set(m.base, entry);
  }
  mem.setU32(last, head);
  mem.setU32(head + 4, last);
  return { head, exported: exportedHead !== null, entries };
}
