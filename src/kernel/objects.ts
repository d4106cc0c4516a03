// Kernel objects in guest memory, laid out as NT 3.51/NT 4 x86 drivers expect them, and the object
// namespace (\Device, \DosDevices, \Driver) that IoCreateDevice and IoCreateSymbolicLink fill.

/** DRIVER_OBJECT (ntddk.h, x86): 0xA8 bytes with IRP_MJ_MAXIMUM_FUNCTION + 1 = 28 dispatch entries. */
export const DRIVER_OBJECT = {
  size: 0xa8,
  Type: 0x00,
  Size: 0x02,
  DeviceObject: 0x04,
  Flags: 0x08,
  DriverStart: 0x0c,
  DriverSize: 0x10,
  DriverSection: 0x14,
  DriverExtension: 0x18,
  DriverName: 0x1c,
  HardwareDatabase: 0x24,
  FastIoDispatch: 0x28,
  DriverInit: 0x2c,
  DriverStartIo: 0x30,
  DriverUnload: 0x34,
  MajorFunction: 0x38,
} as const;
export const IO_TYPE_DRIVER = 4;
export const IO_TYPE_DEVICE = 3;
export const IO_TYPE_IRP = 6;
export const IRP_MJ_COUNT = 28;

/** DRIVER_EXTENSION: DriverObject, AddDevice (later NTs), Count, ServiceKeyName. */
export const DRIVER_EXTENSION = {
  size: 0x14,
  DriverObject: 0x0,
  AddDevice: 0x4,
  Count: 0x8,
  ServiceKeyName: 0xc,
} as const;

/** DEVICE_OBJECT (x86). */
export const DEVICE_OBJECT = {
  size: 0xb8,
  Type: 0x00,
  Size: 0x02,
  ReferenceCount: 0x04,
  DriverObject: 0x08,
  NextDevice: 0x0c,
  AttachedDevice: 0x10,
  CurrentIrp: 0x14,
  Flags: 0x1c,
  Characteristics: 0x20,
  DeviceExtension: 0x28,
  DeviceType: 0x2c,
  StackSize: 0x30,
} as const;

/** IRP (x86) and IO_STACK_LOCATION. */
export const IRP = {
  size: 0x70,
  Type: 0x00,
  Size: 0x02,
  MdlAddress: 0x04,
  Flags: 0x08,
  SystemBuffer: 0x0c,
  IoStatusStatus: 0x18,
  IoStatusInformation: 0x1c,
  RequestorMode: 0x20,
  PendingReturned: 0x21,
  StackCount: 0x22,
  CurrentLocation: 0x23,
  Cancel: 0x24,
  UserBuffer: 0x3c,
  /** Tail.Overlay.Thread: the thread that sent the request. */
  Thread: 0x50,
  CurrentStackLocation: 0x60,
} as const;
export const IO_STACK_LOCATION = {
  size: 0x24,
  MajorFunction: 0x00,
  MinorFunction: 0x01,
  Flags: 0x02,
  Control: 0x03,
  Parameters: 0x04,
  DeviceObject: 0x14,
  FileObject: 0x18,
  CompletionRoutine: 0x1c,
  Context: 0x20,
} as const;
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
const normalize = (name: string) => name.replace(/^\\\?\?\\/, '\\DosDevices\\').toLowerCase();
