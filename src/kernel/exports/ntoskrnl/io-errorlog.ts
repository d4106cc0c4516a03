// The I/O error log (ntoskrnl!IoAllocateErrorLogEntry, IoWriteErrorLogEntry): a driver fills an
// IO_ERROR_LOG_PACKET and writes it; NT's I/O manager sends it, with the driver's and the device's
// names, to the EventLog service, which stores it as a System-log record (ReactOS
// ntoskrnl/io/iomgr/error.c IopLogWorker, base/services/eventlog/eventlog.c ProcessPortMessage). Here
// the packet becomes an `io-error-log` event; the boot turns those into records (src/kernel/system-log.ts).
import type { KernelContext } from '../../context.js';
import { IO_TYPE_DEVICE } from '../../objects.js';
import { defineExport, type ExportHandler } from '../../registry.js';

/** IO_ERROR_LOG_PACKET (ntddk.h, x86): the header before DumpData, and the whole packet's size. */
export const IO_ERROR_LOG_PACKET = {
  MajorFunctionCode: 0x00,
  RetryCount: 0x01,
  DumpDataSize: 0x02,
  NumberOfStrings: 0x04,
  StringOffset: 0x06,
  EventCategory: 0x08,
  ErrorCode: 0x0c,
  UniqueErrorValue: 0x10,
  FinalStatus: 0x14,
  SequenceNumber: 0x18,
  IoControlCode: 0x1c,
  DeviceOffset: 0x20,
  DumpData: 0x28,
  size: 0x30,
} as const;
/** ERROR_LOG_MAXIMUM_SIZE: the largest entry IoAllocateErrorLogEntry hands out. */
const ERROR_LOG_MAXIMUM_SIZE = 0x98;

/** Entries allocated and not yet written, per kernel (by its event log): entry → IoObject and size. */
const pending = new WeakMap<object, Map<number, { ioObject: number; size: number }>>();

/** The service name of the driver behind `ioObject` ("\Driver\Foo" → "Foo"), and the device's name. */
function namesOf(ctx: KernelContext, ioObject: number): { driver: string | null; device: string | null } {
  try {
    const { DEVICE_OBJECT, DRIVER_OBJECT } = ctx.mem.layouts;
    const isDevice = ctx.mem.u16(ioObject) === IO_TYPE_DEVICE;
    const driverObject = isDevice ? ctx.mem.ptr(ioObject + DEVICE_OBJECT.DriverObject) : ioObject;
    const full = driverObject ? ctx.mem.unicodeString(driverObject + DRIVER_OBJECT.DriverName) : null;
    const device = isDevice ? ctx.objects.nameOf(ioObject, 'device') : null;
    return { driver: full ? full.slice(full.lastIndexOf('\\') + 1) || null : null, device };
  } catch {
    return { driver: null, device: null };
  }
}

export const IoAllocateErrorLogEntry: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'PVOID IoAllocateErrorLogEntry(IN PVOID IoObject, IN UCHAR EntrySize)',
  impl(ctx, [ioObject, size]) {
    const n = size! & 0xff;
    if (n < IO_ERROR_LOG_PACKET.size || n > ERROR_LOG_MAXIMUM_SIZE || ioObject === 0) return 0;
    const entry = ctx.pool.allocate(n, 0, 'IoEr', 'kernel');
    if (entry === null) return 0;
    ctx.mem.write(entry, new Uint8Array(n));
    const map = pending.get(ctx.log) ?? new Map<number, { ioObject: number; size: number }>();
    map.set(entry, { ioObject: ioObject!, size: n });
    pending.set(ctx.log, map);
    return entry;
  },
});

/**
 * IoWriteErrorLogEntry: the packet as the EventLog service stores it. The record's EventID is the
 * ErrorCode, its category the EventCategory, its source the driver's name; its strings are the
 * device's name (%1, the driver's when it has no named device) and the packet's NumberOfStrings
 * UTF-16 strings at StringOffset; its data is the packet from MajorFunctionCode through DumpData. A
 * pointer IoAllocateErrorLogEntry did not return is ignored (reported as nothing written).
 */
export const IoWriteErrorLogEntry: ExportHandler = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID IoWriteErrorLogEntry(IN PVOID ElEntry)',
  impl(ctx, [entry]) {
    const owned = pending.get(ctx.log)?.get(entry!);
    if (!owned) return undefined;
    pending.get(ctx.log)?.delete(entry!);
    const P = IO_ERROR_LOG_PACKET;
    const m = ctx.mem;
    const bytes = m.bytes(entry!, owned.size, 'IO_ERROR_LOG_PACKET');
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Guest sizes are clamped to the entry the driver was given.
    const dumpSize = Math.min(v.getUint16(P.DumpDataSize, true), owned.size - P.DumpData);
    const strings: string[] = [];
    let at = v.getUint16(P.StringOffset, true);
    for (let i = 0; i < v.getUint16(P.NumberOfStrings, true) && at + 2 <= owned.size; i++) {
      let s = '';
      for (; at + 2 <= owned.size; at += 2) {
        const c = v.getUint16(at, true);
        if (c === 0) break;
        s += String.fromCharCode(c);
      }
      at += 2;
      strings.push(s);
    }
    const { driver, device } = namesOf(ctx, owned.ioObject);
    const data = bytes.subarray(0, P.DumpData + dumpSize);
    ctx.log.add({
      type: 'io-error-log',
      driver,
      device,
      errorCode: v.getUint32(P.ErrorCode, true),
      uniqueErrorValue: v.getUint32(P.UniqueErrorValue, true),
      finalStatus: v.getUint32(P.FinalStatus, true),
      eventCategory: v.getUint16(P.EventCategory, true),
      majorFunction: v.getUint8(P.MajorFunctionCode),
      sequenceNumber: v.getUint32(P.SequenceNumber, true),
      dumpData: Array.from({ length: Math.floor(dumpSize / 4) }, (_, i) =>
        v.getUint32(P.DumpData + 4 * i, true),
      ),
      strings,
      data: [...data].map((b) => b.toString(16).padStart(2, '0')).join(''),
      caller: ctx.caller,
    });
    ctx.pool.free(entry!);
    return undefined;
  },
});

export const ioErrorLogExports = [IoAllocateErrorLogEntry, IoWriteErrorLogEntry];
