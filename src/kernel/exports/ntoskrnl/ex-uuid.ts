// ExUuidCreate (Windows 2000 and later): time-based (version 1) UUIDs as RPC makes them, from the
// virtual clock, so a run's UUIDs are the same every time and never repeat within it.
import { defineExport, type ExportHandler } from '../../registry.js';
import { NTSTATUS } from '../status.js';

/** 100 ns intervals from the UUID epoch (1582-10-15) to the FILETIME epoch (1601-01-01), RFC 4122. */
const UUID_EPOCH_OFFSET = 0x01b21dd213814000n - 0x019db1ded53e8000n;
/**
 * Model: the machine has no network adapter, so the node is a random-style one with the multicast
 * bit set (RFC 4122 4.5) — fixed here, "NT351".
 */
const NODE = [0x03, 0x4e, 0x54, 0x33, 0x35, 0x31];

export const ExUuidCreate: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'NTSTATUS ExUuidCreate(OUT UUID *Uuid)',
  impl(ctx, [out]) {
    const count = (ctx.statics.get('ExUuidCreate:count') ?? 0) + 1;
    ctx.statics.set('ExUuidCreate:count', count);
    const time = BigInt.asUintN(60, ctx.clock.systemTime() + UUID_EPOCH_OFFSET + BigInt(count));
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setUint32(0, Number(time & 0xffffffffn), true); // time_low
    v.setUint16(4, Number((time >> 32n) & 0xffffn), true); // time_mid
    v.setUint16(6, Number((time >> 48n) & 0x0fffn) | 0x1000, true); // time_hi_and_version
    b[8] = 0x80 | ((count >> 8) & 0x3f); // clock_seq_hi_and_reserved (variant 10)
    b[9] = count & 0xff;
    b.set(NODE, 10);
    ctx.mem.write(out!, b);
    return NTSTATUS.SUCCESS;
  },
});
