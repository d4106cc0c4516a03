// Kernel objects in guest memory, laid out as NT 3.51/NT 4 x86 drivers expect them, and the object
// namespace (\Device, \DosDevices, \Driver) that IoCreateDevice and IoCreateSymbolicLink fill.
import { type FieldNames, layoutOf, type PointerSize, type StructDescription, struct } from './layout.js';

// Layouts: each structure is described once (as ntddk.h/wdm.h declare it) and laid out for x86 and
// AMD64 by layout.ts. The AMD64 offsets agree with the published x64 tables (terminus.rewolf.pl
// _DRIVER_OBJECT_x64, _DEVICE_OBJECT_x64, _IRP_x64, _IO_STACK_LOCATION_x64; Vergilius Project);
// test/kernel/layout.test.ts checks both architectures' offsets.

const LIST_ENTRY_D = {
  name: 'LIST_ENTRY',
  fields: [
    ['Flink', 'ptr'],
    ['Blink', 'ptr'],
  ],
} as const satisfies StructDescription;
const UNICODE_STRING_D = {
  name: 'UNICODE_STRING',
  fields: [
    ['Length', 'u16'],
    ['MaximumLength', 'u16'],
    ['Buffer', 'ptr'],
  ],
} as const satisfies StructDescription;
const KDEVICE_QUEUE_ENTRY_D = {
  name: 'KDEVICE_QUEUE_ENTRY',
  fields: [
    ['DeviceListEntry', struct(LIST_ENTRY_D)],
    ['SortKey', 'u32'],
    ['Inserted', 'u8'],
  ],
} as const satisfies StructDescription;
const KDEVICE_QUEUE_D = {
  name: 'KDEVICE_QUEUE',
  fields: [
    ['Type', 'u16'],
    ['Size', 'u16'],
    ['DeviceListHead', struct(LIST_ENTRY_D)],
    ['Lock', 'ptr'],
    ['Busy', 'u8'],
  ],
} as const satisfies StructDescription;
const KDPC_D = {
  name: 'KDPC',
  fields: [
    ['Type', 'u8'],
    ['Importance', 'u8'],
    ['Number', 'u16'],
    ['DpcListEntry', struct(LIST_ENTRY_D)],
    ['DeferredRoutine', 'ptr'],
    ['DeferredContext', 'ptr'],
    ['SystemArgument1', 'ptr'],
    ['SystemArgument2', 'ptr'],
    ['DpcData', 'ptr'],
  ],
} as const satisfies StructDescription;
/** DISPATCHER_HEADER then the wait list: KEVENT. */
export const KEVENT_D = {
  name: 'KEVENT',
  fields: [
    ['Type', 'u8'],
    ['Absolute', 'u8'],
    ['Size', 'u8'],
    ['Inserted', 'u8'],
    ['SignalState', 'u32'],
    ['WaitListHead', struct(LIST_ENTRY_D)],
  ],
} as const satisfies StructDescription;
const WAIT_CONTEXT_BLOCK_D = {
  name: 'WAIT_CONTEXT_BLOCK',
  fields: [
    ['WaitQueueEntry', struct(KDEVICE_QUEUE_ENTRY_D)],
    ['DeviceRoutine', 'ptr'],
    ['DeviceContext', 'ptr'],
    ['NumberOfMapRegisters', 'u32'],
    ['DeviceObject', 'ptr'],
    ['CurrentIrp', 'ptr'],
    ['BufferChainingDpc', 'ptr'],
  ],
} as const satisfies StructDescription;
const KAPC_D = {
  name: 'KAPC',
  fields: [
    ['Type', 'u8'],
    ['SpareByte0', 'u8'],
    ['Size', 'u8'],
    ['SpareByte1', 'u8'],
    ['SpareLong0', 'u32'],
    ['Thread', 'ptr'],
    ['ApcListEntry', struct(LIST_ENTRY_D)],
    ['KernelRoutine', 'ptr'],
    ['RundownRoutine', 'ptr'],
    ['NormalRoutine', 'ptr'],
    ['NormalContext', 'ptr'],
    ['SystemArgument1', 'ptr'],
    ['SystemArgument2', 'ptr'],
    ['ApcStateIndex', 'u8'],
    ['ApcMode', 'u8'],
    ['Inserted', 'u8'],
  ],
} as const satisfies StructDescription;

/** DRIVER_OBJECT (ntddk.h): IRP_MJ_MAXIMUM_FUNCTION + 1 = 28 dispatch entries; x86 0xA8 bytes, AMD64 0x150. */
export const DRIVER_OBJECT_D = {
  name: 'DRIVER_OBJECT',
  fields: [
    ['Type', 'u16'],
    ['Size', 'u16'],
    ['DeviceObject', 'ptr'],
    ['Flags', 'u32'],
    ['DriverStart', 'ptr'],
    ['DriverSize', 'u32'],
    ['DriverSection', 'ptr'],
    ['DriverExtension', 'ptr'],
    ['DriverName', struct(UNICODE_STRING_D)],
    ['HardwareDatabase', 'ptr'],
    ['FastIoDispatch', 'ptr'],
    ['DriverInit', 'ptr'],
    ['DriverStartIo', 'ptr'],
    ['DriverUnload', 'ptr'],
    ['MajorFunction', { array: 'ptr', count: 28 }],
  ],
} as const satisfies StructDescription;
/** DRIVER_EXTENSION: DriverObject, AddDevice (later NTs), Count, ServiceKeyName. */
export const DRIVER_EXTENSION_D = {
  name: 'DRIVER_EXTENSION',
  fields: [
    ['DriverObject', 'ptr'],
    ['AddDevice', 'ptr'],
    ['Count', 'u32'],
    ['ServiceKeyName', struct(UNICODE_STRING_D)],
  ],
} as const satisfies StructDescription;
/** DEVICE_OBJECT (wdm.h), DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT): x86 0xB8 bytes, AMD64 0x150. */
export const DEVICE_OBJECT_D = {
  name: 'DEVICE_OBJECT',
  align: 'allocation',
  fields: [
    ['Type', 'u16'],
    ['Size', 'u16'],
    ['ReferenceCount', 'u32'],
    ['DriverObject', 'ptr'],
    ['NextDevice', 'ptr'],
    ['AttachedDevice', 'ptr'],
    ['CurrentIrp', 'ptr'],
    ['Timer', 'ptr'],
    ['Flags', 'u32'],
    ['Characteristics', 'u32'],
    ['Vpb', 'ptr'],
    ['DeviceExtension', 'ptr'],
    ['DeviceType', 'u32'],
    ['StackSize', 'u8'],
    [
      'Queue',
      {
        union: [
          ['ListEntry', struct(LIST_ENTRY_D)],
          ['Wcb', struct(WAIT_CONTEXT_BLOCK_D)],
        ],
      },
    ],
    ['AlignmentRequirement', 'u32'],
    ['DeviceQueue', struct(KDEVICE_QUEUE_D)],
    ['Dpc', struct(KDPC_D)],
    ['ActiveThreadCount', 'u32'],
    ['SecurityDescriptor', 'ptr'],
    ['DeviceLock', struct(KEVENT_D)],
    ['SectorSize', 'u16'],
    ['Spare1', 'u16'],
    ['DeviceObjectExtension', 'ptr'],
    ['Reserved', 'ptr'],
  ],
} as const satisfies StructDescription;
/**
 * IRP (wdm.h); field names as nt351 uses them: AssociatedIrp.SystemBuffer is SystemBuffer,
 * IoStatus.Status/Information are IoStatusStatus/IoStatusInformation, Tail.Overlay's fields by name.
 */
export const IRP_D = {
  name: 'IRP',
  fields: [
    ['Type', 'u16'],
    ['Size', 'u16'],
    ['MdlAddress', 'ptr'],
    ['Flags', 'u32'],
    ['SystemBuffer', 'ptr'],
    ['ThreadListEntry', struct(LIST_ENTRY_D)],
    ['IoStatusStatus', 'ptr'], // union { NTSTATUS Status; PVOID Pointer; }
    ['IoStatusInformation', 'ptr'], // ULONG_PTR
    ['RequestorMode', 'u8'],
    ['PendingReturned', 'u8'],
    ['StackCount', 'u8'],
    ['CurrentLocation', 'u8'],
    ['Cancel', 'u8'],
    ['CancelIrql', 'u8'],
    ['ApcEnvironment', 'u8'],
    ['AllocationFlags', 'u8'],
    ['UserIosb', 'ptr'],
    ['UserEvent', 'ptr'],
    ['Overlay', { array: 'ptr', count: 2 }], // AsynchronousParameters, or LARGE_INTEGER AllocationSize
    ['CancelRoutine', 'ptr'],
    ['UserBuffer', 'ptr'],
    [
      'Tail',
      {
        union: [
          [
            'Overlay_',
            {
              struct: [
                ['DriverContext', { array: 'ptr', count: 4 }], // or KDEVICE_QUEUE_ENTRY DeviceQueueEntry
                ['Thread', 'ptr'],
                ['AuxiliaryBuffer', 'ptr'],
                ['ListEntry', struct(LIST_ENTRY_D)],
                ['CurrentStackLocation', 'ptr'], // or ULONG PacketType
                ['OriginalFileObject', 'ptr'],
              ],
              flatten: true,
            },
          ],
          ['Apc', struct(KAPC_D)],
        ],
        flatten: true,
      },
    ],
  ],
} as const satisfies StructDescription;
/** IO_STACK_LOCATION (wdm.h): Parameters is four pointer-sized words (POINTER_ALIGNMENT on AMD64). */
export const IO_STACK_LOCATION_D = {
  name: 'IO_STACK_LOCATION',
  fields: [
    ['MajorFunction', 'u8'],
    ['MinorFunction', 'u8'],
    ['Flags', 'u8'],
    ['Control', 'u8'],
    ['Parameters', { array: 'ptr', count: 4 }],
    ['DeviceObject', 'ptr'],
    ['FileObject', 'ptr'],
    ['CompletionRoutine', 'ptr'],
    ['Context', 'ptr'],
  ],
} as const satisfies StructDescription;
/** MDL (wdm.h). */
export const MDL_D = {
  name: 'MDL',
  fields: [
    ['Next', 'ptr'],
    ['Size', 'u16'],
    ['MdlFlags', 'u16'],
    ['Process', 'ptr'],
    ['MappedSystemVa', 'ptr'],
    ['StartVa', 'ptr'],
    ['ByteCount', 'u32'],
    ['ByteOffset', 'u32'],
  ],
} as const satisfies StructDescription;

/**
 * LDR_DATA_TABLE_ENTRY as the kernel keeps it for loaded modules (NT 3.10 to NT 4 on x86: 0x48 bytes,
 * Geoff Chappell's ldr_data_table_entry study and ReactOS's ldrtypes.h; AMD64: DllBase 0x30,
 * FullDllName 0x48, BaseDllName 0x58, Flags 0x68, as x64 Windows' KLDR_DATA_TABLE_ENTRY has them,
 * where the second and third LIST_ENTRYs are ExceptionTable/GpValue words of the same size).
 */
export const LDR_DATA_TABLE_ENTRY_D = {
  name: 'LDR_DATA_TABLE_ENTRY',
  fields: [
    ['InLoadOrderLinks', struct(LIST_ENTRY_D)],
    ['InMemoryOrderLinks', struct(LIST_ENTRY_D)],
    ['InInitializationOrderLinks', struct(LIST_ENTRY_D)],
    ['DllBase', 'ptr'],
    ['EntryPoint', 'ptr'],
    ['SizeOfImage', 'u32'],
    ['FullDllName', struct(UNICODE_STRING_D)],
    ['BaseDllName', struct(UNICODE_STRING_D)],
    ['Flags', 'u32'],
    ['LoadCount', 'u16'],
    ['TlsIndex', 'u16'],
    [
      'HashLinks',
      {
        union: [
          ['HashLinks_', struct(LIST_ENTRY_D)],
          [
            'Section',
            {
              struct: [
                ['SectionPointer', 'ptr'],
                ['CheckSum', 'u32'],
              ],
              flatten: true,
            },
          ],
        ],
        flatten: true,
      },
    ],
    [
      'TimeDateStamp',
      {
        union: [
          ['TimeDateStamp_', 'u32'],
          ['LoadedImports', 'ptr'],
        ],
      },
    ],
  ],
} as const satisfies StructDescription;

/** DISPATCHER_HEADER (wdm.h): the start of every waitable object; x86 0x10 bytes, AMD64 0x18. */
const DISPATCHER_HEADER_D = {
  name: 'DISPATCHER_HEADER',
  fields: KEVENT_D.fields,
} as const satisfies StructDescription;
const header = { struct: DISPATCHER_HEADER_D.fields, flatten: true } as const;
/** KMUTANT/KMUTEX (wdm.h): OwnerThread x86 0x18, AMD64 0x28. */
export const KMUTANT_D = {
  name: 'KMUTANT',
  fields: [
    ['Header', header],
    ['MutantListEntry', struct(LIST_ENTRY_D)],
    ['OwnerThread', 'ptr'],
    ['Abandoned', 'u8'],
    ['ApcDisable', 'u8'],
  ],
} as const satisfies StructDescription;
/** KSEMAPHORE (wdm.h): Limit x86 0x10, AMD64 0x18. */
export const KSEMAPHORE_D = {
  name: 'KSEMAPHORE',
  fields: [
    ['Header', header],
    ['Limit', 'u32'],
  ],
} as const satisfies StructDescription;
/** KTIMER (wdm.h): 64-bit Windows has `ULONG Processor` before Period (x86 0x28 bytes, AMD64 0x40). */
export const KTIMER_D = (p: PointerSize) =>
  ({
    name: 'KTIMER',
    fields: [
      ['Header', header],
      ['DueTime', 'u64'],
      ['TimerListEntry', struct(LIST_ENTRY_D)],
      ['Dpc', 'ptr'],
      ...(p === 8 ? ([['Processor', 'u32']] as const) : []),
      ['Period', 'u32'],
    ],
  }) as const satisfies StructDescription;
/** WORK_QUEUE_ITEM (wdm.h): ExQueueWorkItem's item. */
export const WORK_QUEUE_ITEM_D = {
  name: 'WORK_QUEUE_ITEM',
  fields: [
    ['List', struct(LIST_ENTRY_D)],
    ['WorkerRoutine', 'ptr'],
    ['Parameter', 'ptr'],
  ],
} as const satisfies StructDescription;
/** FAST_MUTEX (wdm.h): Count, Owner, Contention, Event, OldIrql; x86 0x20 bytes, AMD64 0x38. */
export const FAST_MUTEX_D = {
  name: 'FAST_MUTEX',
  fields: [
    ['Count', 'u32'],
    ['Owner', 'ptr'],
    ['Contention', 'u32'],
    ['Event', struct(KEVENT_D)],
    ['OldIrql', 'u32'],
  ],
} as const satisfies StructDescription;
const OWNER_ENTRY_D = {
  name: 'OWNER_ENTRY',
  fields: [
    ['OwnerThread', 'ptr'],
    ['OwnerCount', 'ptr'], // union { LONG OwnerCount; ULONG TableSize; } padded to ULONG_PTR
  ],
} as const satisfies StructDescription;
/** ERESOURCE (wdm.h, NT 4 and later): x86 0x38 bytes, AMD64 0x68 (with `PVOID Reserved2`). */
export const ERESOURCE_D = (p: PointerSize) =>
  ({
    name: 'ERESOURCE',
    fields: [
      ['SystemResourcesList', struct(LIST_ENTRY_D)],
      ['OwnerTable', 'ptr'],
      ['ActiveCount', 'u16'],
      ['Flag', 'u16'],
      ['SharedWaiters', 'ptr'],
      ['ExclusiveWaiters', 'ptr'],
      ['OwnerEntry', struct(OWNER_ENTRY_D)],
      ['ActiveEntries', 'u32'],
      ['ContentionCount', 'u32'],
      ['NumberOfSharedWaiters', 'u32'],
      ['NumberOfExclusiveWaiters', 'u32'],
      ...(p === 8 ? ([['Reserved2', 'ptr']] as const) : []),
      ['Address', 'ptr'],
      ['SpinLock', 'ptr'],
    ],
  }) as const satisfies StructDescription;
/** RTL_BITMAP (ntddk.h): SizeOfBitMap, Buffer. */
export const RTL_BITMAP_D = {
  name: 'RTL_BITMAP',
  fields: [
    ['SizeOfBitMap', 'u32'],
    ['Buffer', 'ptr'],
  ],
} as const satisfies StructDescription;

/** The I/O manager's structures laid out for pointers of `p` bytes. */
export function ioStructures(p: PointerSize) {
  return {
    pointerSize: p,
    LIST_ENTRY: layoutOf<'Flink' | 'Blink'>(LIST_ENTRY_D, p),
    UNICODE_STRING: layoutOf<'Length' | 'MaximumLength' | 'Buffer'>(UNICODE_STRING_D, p),
    DRIVER_OBJECT: layoutOf<FieldNames<typeof DRIVER_OBJECT_D>>(DRIVER_OBJECT_D, p),
    DRIVER_EXTENSION: layoutOf<'DriverObject' | 'AddDevice' | 'Count' | 'ServiceKeyName'>(
      DRIVER_EXTENSION_D,
      p,
    ),
    DEVICE_OBJECT: layoutOf<FieldNames<typeof DEVICE_OBJECT_D>>(DEVICE_OBJECT_D, p),
    IRP: layoutOf<
      | FieldNames<typeof IRP_D>
      | 'DriverContext'
      | 'Thread'
      | 'AuxiliaryBuffer'
      | 'ListEntry'
      | 'CurrentStackLocation'
      | 'OriginalFileObject'
      | 'Apc'
    >(IRP_D, p),
    IO_STACK_LOCATION: layoutOf<FieldNames<typeof IO_STACK_LOCATION_D>>(IO_STACK_LOCATION_D, p),
    MDL: layoutOf<FieldNames<typeof MDL_D>>(MDL_D, p),
    KEVENT: layoutOf<FieldNames<typeof KEVENT_D>>(KEVENT_D, p),
    KDPC: layoutOf<FieldNames<typeof KDPC_D>>(KDPC_D, p),
    KMUTANT: layoutOf<FieldNames<typeof KMUTANT_D> | FieldNames<typeof KEVENT_D>>(KMUTANT_D, p),
    KSEMAPHORE: layoutOf<FieldNames<typeof KSEMAPHORE_D> | FieldNames<typeof KEVENT_D>>(KSEMAPHORE_D, p),
    KTIMER: layoutOf<FieldNames<ReturnType<typeof KTIMER_D>> | FieldNames<typeof KEVENT_D>>(KTIMER_D(p), p),
    WORK_QUEUE_ITEM: layoutOf<FieldNames<typeof WORK_QUEUE_ITEM_D>>(WORK_QUEUE_ITEM_D, p),
    FAST_MUTEX: layoutOf<FieldNames<typeof FAST_MUTEX_D>>(FAST_MUTEX_D, p),
    ERESOURCE: layoutOf<FieldNames<ReturnType<typeof ERESOURCE_D>>>(ERESOURCE_D(p), p),
    RTL_BITMAP: layoutOf<FieldNames<typeof RTL_BITMAP_D>>(RTL_BITMAP_D, p),
    LDR_DATA_TABLE_ENTRY: layoutOf<FieldNames<typeof LDR_DATA_TABLE_ENTRY_D> | 'SectionPointer' | 'CheckSum'>(
      LDR_DATA_TABLE_ENTRY_D,
      p,
    ),
  };
}
export type IoStructures = ReturnType<typeof ioStructures>;
/** The x86 layouts (NT 3.51 … later x86 NTs). */
export const X86_STRUCTURES = ioStructures(4);
/** The AMD64 layouts. */
export const AMD64_STRUCTURES = ioStructures(8);

/** DRIVER_OBJECT (x86). */
export const DRIVER_OBJECT = X86_STRUCTURES.DRIVER_OBJECT;
export const IO_TYPE_DRIVER = 4;
export const IO_TYPE_DEVICE = 3;
export const IO_TYPE_IRP = 6;
export const IRP_MJ_COUNT = 28;
/** DRIVER_EXTENSION (x86). */
export const DRIVER_EXTENSION = X86_STRUCTURES.DRIVER_EXTENSION;
/** DEVICE_OBJECT (x86). */
export const DEVICE_OBJECT = X86_STRUCTURES.DEVICE_OBJECT;
/** IRP (x86) and IO_STACK_LOCATION. */
export const IRP = X86_STRUCTURES.IRP;
export const IO_STACK_LOCATION = X86_STRUCTURES.IO_STACK_LOCATION;
/** IO_STACK_LOCATION.Control bits (ntddk.h): IoSetCompletionRoutine's Invoke* flags, IoMarkIrpPending. */
export const SL = {
  PENDING_RETURNED: 0x01,
  INVOKE_ON_CANCEL: 0x20,
  INVOKE_ON_SUCCESS: 0x40,
  INVOKE_ON_ERROR: 0x80,
} as const;

/** IRP_MJ_* names (NT 3.51, 0x00..0x1b). */
export const IRP_MJ_NAMES = [
  'IRP_MJ_CREATE',
  'IRP_MJ_CREATE_NAMED_PIPE',
  'IRP_MJ_CLOSE',
  'IRP_MJ_READ',
  'IRP_MJ_WRITE',
  'IRP_MJ_QUERY_INFORMATION',
  'IRP_MJ_SET_INFORMATION',
  'IRP_MJ_QUERY_EA',
  'IRP_MJ_SET_EA',
  'IRP_MJ_FLUSH_BUFFERS',
  'IRP_MJ_QUERY_VOLUME_INFORMATION',
  'IRP_MJ_SET_VOLUME_INFORMATION',
  'IRP_MJ_DIRECTORY_CONTROL',
  'IRP_MJ_FILE_SYSTEM_CONTROL',
  'IRP_MJ_DEVICE_CONTROL',
  'IRP_MJ_INTERNAL_DEVICE_CONTROL',
  'IRP_MJ_SHUTDOWN',
  'IRP_MJ_LOCK_CONTROL',
  'IRP_MJ_CLEANUP',
  'IRP_MJ_CREATE_MAILSLOT',
  'IRP_MJ_QUERY_SECURITY',
  'IRP_MJ_SET_SECURITY',
  'IRP_MJ_QUERY_POWER',
  'IRP_MJ_SET_POWER',
  'IRP_MJ_DEVICE_CHANGE',
  'IRP_MJ_QUERY_QUOTA',
  'IRP_MJ_SET_QUOTA',
  'IRP_MJ_PNP_POWER',
] as const;
export const IRP_MJ = {
  CREATE: 0,
  CLOSE: 2,
  READ: 3,
  WRITE: 4,
  DEVICE_CONTROL: 14,
  CLEANUP: 18,
  /** IRP_MJ_POWER (0x16) and IRP_MJ_PNP (0x1b) in WDM's numbering (NT 3.51: QUERY_POWER, PNP_POWER). */
  POWER: 0x16,
  PNP: 0x1b,
} as const;

/** IRP_MN_* minor functions run-driver sends (wdm.h). */
export const IRP_MN = { START_DEVICE: 0x00, REMOVE_DEVICE: 0x02, SET_POWER: 0x02 } as const;

export interface NamedObject {
  kind: 'device' | 'symlink' | 'driver';
  address: number;
  /** Symbolic links: the target path. */
  target?: string;
}

/** The object namespace, case-insensitive as NT's object manager is for these directories. */
export class ObjectNamespace {
  private readonly objects = new Map<string, { name: string; object: NamedObject }>();

  lookup(name: string): NamedObject | undefined {
    return this.objects.get(normalize(name))?.object;
  }
  insert(name: string, object: NamedObject): boolean {
    const key = normalize(name);
    if (this.objects.has(key)) return false;
    this.objects.set(key, { name, object });
    return true;
  }
  remove(name: string): NamedObject | undefined {
    const key = normalize(name);
    const o = this.objects.get(key);
    this.objects.delete(key);
    return o?.object;
  }
  nameOf(address: number, kind: NamedObject['kind']): string | null {
    for (const { name, object } of this.objects.values())
      if (object.kind === kind && object.address === address) return name;
    return null;
  }
  list(): { name: string; object: NamedObject }[] {
    return [...this.objects.values()];
  }
}

/** `\??\X` is NT's alias for `\DosDevices\X`. */
const normalize = (name: string) =>
  (name.startsWith('\\??\\') ? `\\DosDevices\\${name.slice(4)}` : name).toLowerCase();
