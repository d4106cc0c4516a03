// One description per structure, two layouts: the x86 offsets nt351 always used (ntddk.h, NT 3.51/4)
// and the AMD64 offsets as published for x64 Windows (terminus.rewolf.pl _DRIVER_OBJECT_x64,
// _DEVICE_OBJECT_x64, _IRP_x64, _IO_STACK_LOCATION_x64, _MDL_x64, _KEVENT_x64; Vergilius Project).
import { describe, expect, it } from 'vitest';
import { layoutOf } from '../../src/kernel/layout.js';
import { AMD64_STRUCTURES as X64, X86_STRUCTURES as X86 } from '../../src/kernel/objects.js';

describe('structure layouts', () => {
  it('DRIVER_OBJECT: x86 0xA8 bytes, AMD64 0x150', () => {
    expect(X86.DRIVER_OBJECT).toMatchObject({
      size: 0xa8,
      DeviceObject: 0x04,
      DriverStart: 0x0c,
      DriverSection: 0x14,
      DriverExtension: 0x18,
      DriverName: 0x1c,
      DriverInit: 0x2c,
      DriverUnload: 0x34,
      MajorFunction: 0x38,
    });
    expect(X64.DRIVER_OBJECT).toMatchObject({
      size: 0x150,
      DeviceObject: 0x08,
      Flags: 0x10,
      DriverStart: 0x18,
      DriverSize: 0x20,
      DriverSection: 0x28,
      DriverExtension: 0x30,
      DriverName: 0x38,
      HardwareDatabase: 0x48,
      DriverInit: 0x58,
      DriverUnload: 0x68,
      MajorFunction: 0x70,
    });
  });

  it('DEVICE_OBJECT: x86 0xB8 bytes, AMD64 0x150 (MEMORY_ALLOCATION_ALIGNMENT)', () => {
    expect(X86.DEVICE_OBJECT).toMatchObject({
      size: 0xb8,
      DriverObject: 0x08,
      NextDevice: 0x0c,
      AttachedDevice: 0x10,
      Flags: 0x1c,
      DeviceExtension: 0x28,
      DeviceType: 0x2c,
      StackSize: 0x30,
      AlignmentRequirement: 0x5c,
      DeviceLock: 0x9c,
      DeviceObjectExtension: 0xb0,
    });
    expect(X64.DEVICE_OBJECT).toMatchObject({
      size: 0x150,
      DriverObject: 0x08,
      NextDevice: 0x10,
      AttachedDevice: 0x18,
      CurrentIrp: 0x20,
      Flags: 0x30,
      Characteristics: 0x34,
      DeviceExtension: 0x40,
      DeviceType: 0x48,
      StackSize: 0x4c,
      Queue: 0x50,
      AlignmentRequirement: 0x98,
      DeviceQueue: 0xa0,
      Dpc: 0xc8,
      ActiveThreadCount: 0x108,
      DeviceLock: 0x118,
      SectorSize: 0x130,
      DeviceObjectExtension: 0x138,
    });
  });

  it('IRP and IO_STACK_LOCATION: x86 0x70/0x24, AMD64 0xD0/0x48', () => {
    expect(X86.IRP).toMatchObject({
      size: 0x70,
      MdlAddress: 0x04,
      SystemBuffer: 0x0c,
      IoStatusStatus: 0x18,
      IoStatusInformation: 0x1c,
      RequestorMode: 0x20,
      StackCount: 0x22,
      CurrentLocation: 0x23,
      Cancel: 0x24,
      UserBuffer: 0x3c,
      CurrentStackLocation: 0x60,
    });
    expect(X64.IRP).toMatchObject({
      size: 0xd0,
      MdlAddress: 0x08,
      Flags: 0x10,
      SystemBuffer: 0x18,
      ThreadListEntry: 0x20,
      IoStatusStatus: 0x30,
      IoStatusInformation: 0x38,
      RequestorMode: 0x40,
      StackCount: 0x42,
      CurrentLocation: 0x43,
      Cancel: 0x44,
      UserIosb: 0x48,
      UserEvent: 0x50,
      Overlay: 0x58,
      CancelRoutine: 0x68,
      UserBuffer: 0x70,
      Tail: 0x78,
      Thread: 0x98,
      ListEntry: 0xa8,
      CurrentStackLocation: 0xb8,
      OriginalFileObject: 0xc0,
    });
    expect(X86.IO_STACK_LOCATION).toMatchObject({
      size: 0x24,
      Parameters: 4,
      DeviceObject: 0x14,
      Context: 0x20,
    });
    expect(X64.IO_STACK_LOCATION).toMatchObject({
      size: 0x48,
      Parameters: 8,
      DeviceObject: 0x28,
      FileObject: 0x30,
      CompletionRoutine: 0x38,
      Context: 0x40,
    });
  });

  it('UNICODE_STRING, LIST_ENTRY, MDL and KEVENT', () => {
    expect(X86.UNICODE_STRING).toMatchObject({ size: 8, Buffer: 4 });
    expect(X64.UNICODE_STRING).toMatchObject({ size: 16, Buffer: 8 });
    expect(X64.LIST_ENTRY).toMatchObject({ size: 16, Blink: 8 });
    expect(X86.MDL).toMatchObject({ size: 0x1c, MappedSystemVa: 0x0c, ByteCount: 0x14 });
    expect(X64.MDL).toMatchObject({
      size: 0x30,
      Process: 0x10,
      MappedSystemVa: 0x18,
      StartVa: 0x20,
      ByteCount: 0x28,
    });
    expect(X86.KEVENT).toMatchObject({ size: 0x10, WaitListHead: 8 });
    expect(X64.KEVENT).toMatchObject({ size: 0x18, WaitListHead: 8 });
  });

  it('dispatcher objects and executive locks (Vergilius Project _KMUTANT, _KTIMER, _KDPC, _ERESOURCE, _FAST_MUTEX)', () => {
    expect(X86.KMUTANT).toMatchObject({ size: 0x20, OwnerThread: 0x18, Abandoned: 0x1c });
    expect(X64.KMUTANT).toMatchObject({ size: 0x38, OwnerThread: 0x28, Abandoned: 0x30 });
    expect(X86.KSEMAPHORE).toMatchObject({ size: 0x14, Limit: 0x10 });
    expect(X64.KSEMAPHORE).toMatchObject({ size: 0x20, Limit: 0x18 });
    expect(X86.KTIMER).toMatchObject({ size: 0x28, DueTime: 0x10, Dpc: 0x20, Period: 0x24 });
    expect(X64.KTIMER).toMatchObject({ size: 0x40, DueTime: 0x18, Dpc: 0x30, Period: 0x3c });
    expect(X86.KDPC).toMatchObject({ size: 0x20, DeferredRoutine: 0x0c, SystemArgument2: 0x18 });
    expect(X64.KDPC).toMatchObject({ size: 0x40, DeferredRoutine: 0x18, SystemArgument2: 0x30 });
    expect(X86.ERESOURCE).toMatchObject({ size: 0x38, ActiveCount: 0x0c, Flag: 0x0e, SpinLock: 0x34 });
    expect(X64.ERESOURCE).toMatchObject({ size: 0x68, ActiveCount: 0x18, Flag: 0x1a, SpinLock: 0x60 });
    expect(X86.FAST_MUTEX).toMatchObject({ size: 0x20, Owner: 4, Event: 0x0c, OldIrql: 0x1c });
    expect(X64.FAST_MUTEX).toMatchObject({ size: 0x38, Owner: 8, Event: 0x18, OldIrql: 0x30 });
    expect(X64.WORK_QUEUE_ITEM).toMatchObject({ size: 0x20, WorkerRoutine: 0x10, Parameter: 0x18 });
    expect(X64.RTL_BITMAP).toMatchObject({ size: 0x10, Buffer: 8 });
  });

  it('lays out by C rules: unions take their largest member, structures end aligned', () => {
    const d = {
      name: 'T',
      fields: [
        ['a', 'u8'],
        [
          'u',
          {
            union: [
              ['x', 'u16'],
              ['y', 'ptr'],
            ] as const,
            flatten: true,
          },
        ],
        ['b', 'u8'],
      ],
    } as const;
    expect(layoutOf(d, 4)).toEqual({ a: 0, u: 4, x: 4, y: 4, b: 8, size: 12 });
    expect(layoutOf(d, 8)).toEqual({ a: 0, u: 8, x: 8, y: 8, b: 16, size: 24 });
  });
});
