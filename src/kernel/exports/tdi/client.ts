// TDI's client and provider library routines (tdi.sys): device registration for transports, and the
// MDL copy helpers transports and clients use.
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { MDL } from '../ntoskrnl/io-more.js';

const tdi = (prototype: string, impl: ExportHandler['impl']) =>
  defineExport({ module: 'tdi', prototype, impl });
const STATUS_BUFFER_OVERFLOW = 0x80000005;

/** The (address, length) pieces of an MDL chain: each MDL maps StartVa + ByteOffset for ByteCount. */
function pieces(ctx: KernelContext, mdl: number): [number, number][] {
  const out: [number, number][] = [];
  for (let m = mdl, n = 0; m && n < 1024; m = ctx.mem.u32(m + MDL.Next), n++)
    out.push([
      (ctx.mem.u32(m + MDL.StartVa) + ctx.mem.u32(m + MDL.ByteOffset)) >>> 0,
      ctx.mem.u32(m + MDL.ByteCount),
    ]);
  return out;
}

export const tdiExports: ExportHandler[] = [
  tdi(
    'NTSTATUS TdiRegisterDeviceObject(PUNICODE_STRING DeviceName, OUT HANDLE *RegistrationHandle)',
    (ctx, [name, out]) => {
      const h = ctx.pool.allocate(0x10, 0, 'TdiR', 'kernel') ?? 0;
      ctx.mem.setU32(out!, h);
      ctx.log.add({
        type: 'dbgprint',
        text: `[TdiRegisterDeviceObject] ${ctx.mem.unicodeString(name!) ?? ''}\n`,
        caller: ctx.caller,
      });
      return h ? 0 : 0xc000009a;
    },
  ),
  tdi('NTSTATUS TdiDeregisterDeviceObject(HANDLE RegistrationHandle)', (ctx, [h]) => {
    ctx.pool.free(h!);
    return 0;
  }),
  tdi(
    'NTSTATUS TdiCopyBufferToMdl(PVOID SourceBuffer, ULONG SourceOffset, ULONG SourceBytesToCopy, PMDL DestinationMdl, ULONG DestinationOffset, OUT PULONG BytesCopied)',
    (ctx, [src, srcOff, count, mdl, dstOff, copied]) => {
      let skip = dstOff!;
      let left = count!;
      let from = src! + srcOff!;
      for (const [va, n] of pieces(ctx, mdl!)) {
        if (left === 0) break;
        if (skip >= n) {
          skip -= n;
          continue;
        }
        const take = Math.min(n - skip, left);
        ctx.mem.write(va + skip, ctx.mem.bytes(from, take));
        from += take;
        left -= take;
        skip = 0;
      }
      ctx.mem.setU32(copied!, count! - left);
      return left ? STATUS_BUFFER_OVERFLOW : 0;
    },
  ),
  tdi(
    'NTSTATUS TdiCopyMdlToBuffer(PMDL SourceMdlChain, ULONG SourceOffset, PVOID DestinationBuffer, ULONG DestinationOffset, ULONG DestinationBufferSize, OUT PULONG BytesCopied)',
    (ctx, [mdl, srcOff, dst, dstOff, size, copied]) => {
      let skip = srcOff!;
      let to = dst! + dstOff!;
      let room = size! - dstOff!;
      let done = 0;
      for (const [va, n] of pieces(ctx, mdl!)) {
        if (skip >= n) {
          skip -= n;
          continue;
        }
        const take = Math.min(n - skip, room);
        ctx.mem.write(to, ctx.mem.bytes(va + skip, take));
        to += take;
        room -= take;
        done += take;
        skip = 0;
        if (room === 0) break;
      }
      ctx.mem.setU32(copied!, done);
      return 0;
    },
  ),
];
