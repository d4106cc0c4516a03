// HAL port and register I/O (hal!READ_PORT_UCHAR…, WRITE_PORT_BUFFER_USHORT…, READ_REGISTER_*):
// ports reach the machine's device model (the same one x86 `in`/`out` reaches); registers are
// memory-mapped, so plain guest memory accesses.
import type { KernelContext } from '../../context.js';
import { defineExport, defineShared, type ExportHandler } from '../../registry.js';

const SIZES = [
  ['UCHAR', 1],
  ['USHORT', 2],
  ['ULONG', 4],
] as const;

function readMem(ctx: KernelContext, at: number, size: number): number {
  return size === 4 ? ctx.mem.u32(at) : size === 2 ? ctx.mem.u16(at) : ctx.mem.u8(at);
}
function writeMem(ctx: KernelContext, at: number, size: number, v: number): void {
  if (size === 4) ctx.mem.setU32(at, v);
  else if (size === 2) ctx.mem.setU16(at, v & 0xffff);
  else ctx.mem.write(at, new Uint8Array([v & 0xff]));
}

const hal = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'hal', prototype, impl });

export const halPortExports: ExportHandler[] = SIZES.flatMap(([type, size]) => [
  hal(`${type} READ_PORT_${type}(P${type} Port)`, (ctx, [port]) => ctx.ports.read(port! & 0xffff, size)),
  hal(`VOID WRITE_PORT_${type}(P${type} Port, ${type} Value)`, (ctx, [port, v]) => {
    ctx.ports.write(port! & 0xffff, size, v! & (size === 4 ? 0xffffffff : (1 << (8 * size)) - 1));
    return undefined;
  }),
  hal(`VOID READ_PORT_BUFFER_${type}(P${type} Port, P${type} Buffer, ULONG Count)`, (ctx, [port, b, n]) => {
    for (let i = 0; i < n!; i++) writeMem(ctx, b! + size * i, size, ctx.ports.read(port! & 0xffff, size));
    return undefined;
  }),
  hal(`VOID WRITE_PORT_BUFFER_${type}(P${type} Port, P${type} Buffer, ULONG Count)`, (ctx, [port, b, n]) => {
    for (let i = 0; i < n!; i++) ctx.ports.write(port! & 0xffff, size, readMem(ctx, b! + size * i, size));
    return undefined;
  }),
  // Register access is exported by the kernel on x86 NT 4 and by the HAL on other machines.
  ...defineShared(['ntoskrnl', 'hal'], {
    prototype: `${type} READ_REGISTER_${type}(volatile P${type} Register)`,
    impl: (ctx, [r]) => readMem(ctx, r!, size),
  }),
  ...defineShared(['ntoskrnl', 'hal'], {
    prototype: `VOID WRITE_REGISTER_${type}(volatile P${type} Register, ${type} Value)`,
    impl: (ctx, [r, v]) => {
      writeMem(ctx, r!, size, v!);
      return undefined;
    },
  }),
  ...defineShared(['ntoskrnl', 'hal'], {
    prototype: `VOID READ_REGISTER_BUFFER_${type}(volatile P${type} Register, P${type} Buffer, ULONG Count)`,
    impl: (ctx, [r, b, n]) => {
      for (let i = 0; i < n!; i++) writeMem(ctx, b! + size * i, size, readMem(ctx, r!, size));
      return undefined;
    },
  }),
  ...defineShared(['ntoskrnl', 'hal'], {
    prototype: `VOID WRITE_REGISTER_BUFFER_${type}(volatile P${type} Register, P${type} Buffer, ULONG Count)`,
    impl: (ctx, [r, b, n]) => {
      for (let i = 0; i < n!; i++) writeMem(ctx, r!, size, readMem(ctx, b! + size * i, size));
      return undefined;
    },
  }),
]);
