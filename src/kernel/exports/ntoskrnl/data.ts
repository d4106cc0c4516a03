// Data exports of the kernel as real guest data in the synthetic image (a kernel image's own data is
// left as it is): processor count and machine type, build number, object types, the initial system
// process, SeExports, the debugger flags and the NLS code-page flags.
import type { KernelContext } from '../../context.js';
import type { ObjectKind } from '../../handles.js';
import { defineData, type ExportHandler } from '../../registry.js';

const u32 = (value: (ctx: KernelContext) => number) => (ctx: KernelContext, at: number) =>
  ctx.mem.setU32(at, value(ctx));
const typeObject = (kind: ObjectKind) => u32((ctx) => ctx.ob.typeObject(kind));
const data = (declaration: string, size: number, init?: (ctx: KernelContext, at: number) => void) =>
  defineData({ module: 'ntoskrnl', declaration, size, ...(init ? { init } : {}) });

/**
 * SE_EXPORTS (ntddk.h): 23 LUID privileges (8 bytes each, SeCreateTokenPrivilege 2 …
 * SeChangeNotifyPrivilege 23 … SeUndockPrivilege 25), then PSID pointers to well-known SIDs.
 */
function seExports(ctx: KernelContext, at: number): void {
  const privileges = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
  privileges.forEach((p, i) => {
    ctx.mem.setU32(at + 8 * i, p);
    ctx.mem.setU32(at + 8 * i + 4, 0);
  });
  // Well-known SIDs: revision 1, authority, sub-authorities (winnt.h).
  const sids: [number, number[]][] = [
    [0, [0]], // NullSid S-1-0-0
    [1, [0]], // WorldSid S-1-1-0
    [2, [0]], // LocalSid S-1-2-0
    [3, [0]], // CreatorOwnerSid S-1-3-0
    [3, [1]], // CreatorGroupSid S-1-3-1
    [5, []], // NtAuthoritySid S-1-5
    [5, [1]], // DialupSid
    [5, [2]], // NetworkSid
    [5, [3]], // BatchSid
    [5, [4]], // InteractiveSid
    [5, [18]], // LocalSystemSid S-1-5-18
    [5, [32, 544]], // AliasAdminsSid
    [5, [32, 545]], // AliasUsersSid
    [5, [32, 546]], // AliasGuestsSid
    [5, [32, 547]], // AliasPowerUsersSid
    [5, [32, 548]], // AliasAccountOpsSid
    [5, [32, 549]], // AliasSystemOpsSid
    [5, [32, 550]], // AliasPrintOpsSid
    [5, [32, 551]], // AliasBackupOpsSid
  ];
  const table = at + 8 * privileges.length;
  const store = ctx.pool.allocateStatic(sids.length * 16);
  sids.forEach(([authority, subs], i) => {
    const sid = store + 16 * i;
    const b = new Uint8Array(8 + 4 * subs.length);
    b[0] = 1; // SID_REVISION
    b[1] = subs.length;
    b[7] = authority; // IdentifierAuthority, big-endian 6 bytes
    const v = new DataView(b.buffer);
    subs.forEach((s, k) => {
      v.setUint32(8 + 4 * k, s, true);
    });
    ctx.mem.write(sid, b);
    ctx.mem.setU32(table + 4 * i, sid);
  });
}

export const dataExports: ExportHandler[] = [
  data(
    'CCHAR KeNumberProcessors',
    4,
    u32(() => 1),
  ),
  data(
    'ULONG KeI386MachineType',
    4,
    u32(() => 0),
  ), // 0: ISA/EISA PC (not MCA, not NEC)
  data(
    'ULONG NtBuildNumber',
    4,
    u32((ctx) => (0xf0000000 | ctx.version.build) >>> 0),
  ), // free build: 0xF000xxxx
  data('POBJECT_TYPE IoFileObjectType', 4, typeObject('file')),
  data('POBJECT_TYPE PsProcessType', 4, typeObject('process')),
  data('POBJECT_TYPE PsThreadType', 4, typeObject('thread')),
  data('POBJECT_TYPE ExEventObjectType', 4, (ctx, at) => {
    const t = ctx.statics.get('type.event') ?? ctx.pool.allocateStatic(0x40);
    ctx.statics.set('type.event', t);
    ctx.mem.setU32(at, t);
  }),
  data('POBJECT_TYPE IoDeviceObjectType', 4, (ctx, at) => {
    const t = ctx.statics.get('type.device') ?? ctx.pool.allocateStatic(0x40);
    ctx.statics.set('type.device', t);
    ctx.mem.setU32(at, t);
  }),
  data(
    'PEPROCESS PsInitialSystemProcess',
    4,
    u32((ctx) => ctx.ob.systemContext().process.body),
  ),
  data('PSE_EXPORTS SeExports', 4, (ctx, at) => {
    const table = ctx.pool.allocateStatic(0x100);
    seExports(ctx, table);
    ctx.mem.setU32(at, table);
  }),
  data('BOOLEAN KdDebuggerEnabled', 4), // no kernel debugger attached: FALSE
  data(
    'BOOLEAN KdDebuggerNotPresent',
    4,
    u32(() => 1),
  ),
  data('BOOLEAN NlsMbCodePageTag', 4), // code page 1252 is single-byte: FALSE
  data('BOOLEAN NlsMbOemCodePageTag', 4), // OEM 437: single-byte
  data(
    'PVOID MmHighestUserAddress',
    4,
    u32(() => 0x7ffeffff),
  ),
  data(
    'PVOID MmSystemRangeStart',
    4,
    u32(() => 0x80000000),
  ),
  data(
    'ULONG_PTR MmUserProbeAddress',
    4,
    u32(() => 0x7fff0000),
  ),
];
