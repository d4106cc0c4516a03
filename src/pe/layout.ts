// Raw on-disk layouts of the IMAGE_* structures (field offsets and sizes, from winnt.h and the PE/COFF
// specification) and their constant tables. No parsing logic lives here.

export const IMAGE_DOS_HEADER = { size: 0x40, e_magic: 0x00, e_lfanew: 0x3c } as const;
export const IMAGE_DOS_SIGNATURE = 0x5a4d; // "MZ"
export const IMAGE_NT_SIGNATURE = 0x00004550; // "PE\0\0"

export const IMAGE_FILE_HEADER = {
  size: 20,
  Machine: 0,
  NumberOfSections: 2,
  TimeDateStamp: 4,
  PointerToSymbolTable: 8,
  NumberOfSymbols: 12,
  SizeOfOptionalHeader: 16,
  Characteristics: 18,
} as const;

export const IMAGE_NT_OPTIONAL_HDR32_MAGIC = 0x10b;
export const IMAGE_NT_OPTIONAL_HDR64_MAGIC = 0x20b;

/** Fields common to PE32 and PE32+ optional headers, at the same offsets. */
const optionalCommon = {
  Magic: 0,
  MajorLinkerVersion: 2,
  MinorLinkerVersion: 3,
  SizeOfCode: 4,
  SizeOfInitializedData: 8,
  SizeOfUninitializedData: 12,
  AddressOfEntryPoint: 16,
  BaseOfCode: 20,
  SectionAlignment: 32,
  FileAlignment: 36,
  MajorOperatingSystemVersion: 40,
  MinorOperatingSystemVersion: 42,
  MajorImageVersion: 44,
  MinorImageVersion: 46,
  MajorSubsystemVersion: 48,
  MinorSubsystemVersion: 50,
  Win32VersionValue: 52,
  SizeOfImage: 56,
  SizeOfHeaders: 60,
  CheckSum: 64,
  Subsystem: 68,
  DllCharacteristics: 70,
} as const;

export const IMAGE_OPTIONAL_HEADER32 = {
  ...optionalCommon,
  BaseOfData: 24,
  ImageBase: 28,
  SizeOfStackReserve: 72,
  SizeOfStackCommit: 76,
  SizeOfHeapReserve: 80,
  SizeOfHeapCommit: 84,
  LoaderFlags: 88,
  NumberOfRvaAndSizes: 92,
  DataDirectory: 96,
} as const;

export const IMAGE_OPTIONAL_HEADER64 = {
  ...optionalCommon,
  ImageBase: 24,
  SizeOfStackReserve: 72,
  SizeOfStackCommit: 80,
  SizeOfHeapReserve: 88,
  SizeOfHeapCommit: 96,
  LoaderFlags: 104,
  NumberOfRvaAndSizes: 108,
  DataDirectory: 112,
} as const;

export const IMAGE_DATA_DIRECTORY = { size: 8, VirtualAddress: 0, Size: 4 } as const;
export const IMAGE_NUMBEROF_DIRECTORY_ENTRIES = 16;

/** Data directory indices (winnt.h IMAGE_DIRECTORY_ENTRY_*). */
export const DirectoryEntry = {
  EXPORT: 0,
  IMPORT: 1,
  RESOURCE: 2,
  EXCEPTION: 3,
  SECURITY: 4,
  BASERELOC: 5,
  DEBUG: 6,
  ARCHITECTURE: 7,
  GLOBALPTR: 8,
  TLS: 9,
  LOAD_CONFIG: 10,
  BOUND_IMPORT: 11,
  IAT: 12,
  DELAY_IMPORT: 13,
  COM_DESCRIPTOR: 14,
  RESERVED: 15,
} as const;
export const DIRECTORY_NAMES = [
  'EXPORT',
  'IMPORT',
  'RESOURCE',
  'EXCEPTION',
  'SECURITY',
  'BASERELOC',
  'DEBUG',
  'ARCHITECTURE',
  'GLOBALPTR',
  'TLS',
  'LOAD_CONFIG',
  'BOUND_IMPORT',
  'IAT',
  'DELAY_IMPORT',
  'COM_DESCRIPTOR',
  'RESERVED',
] as const;

export const IMAGE_SECTION_HEADER = {
  size: 40,
  Name: 0,
  NameSize: 8,
  VirtualSize: 8,
  VirtualAddress: 12,
  SizeOfRawData: 16,
  PointerToRawData: 20,
  PointerToRelocations: 24,
  PointerToLinenumbers: 28,
  NumberOfRelocations: 32,
  NumberOfLinenumbers: 34,
  Characteristics: 36,
} as const;

export const IMAGE_EXPORT_DIRECTORY = {
  size: 40,
  Characteristics: 0,
  TimeDateStamp: 4,
  MajorVersion: 8,
  MinorVersion: 10,
  Name: 12,
  Base: 16,
  NumberOfFunctions: 20,
  NumberOfNames: 24,
  AddressOfFunctions: 28,
  AddressOfNames: 32,
  AddressOfNameOrdinals: 36,
} as const;

export const IMAGE_IMPORT_DESCRIPTOR = {
  size: 20,
  OriginalFirstThunk: 0,
  TimeDateStamp: 4,
  ForwarderChain: 8,
  Name: 12,
  FirstThunk: 16,
} as const;
export const IMAGE_IMPORT_BY_NAME = { Hint: 0, Name: 2 } as const;
export const IMAGE_ORDINAL_FLAG32 = 0x80000000;
export const IMAGE_ORDINAL_FLAG64 = 0x8000000000000000n;

export const IMAGE_BOUND_IMPORT_DESCRIPTOR = {
  size: 8,
  TimeDateStamp: 0,
  OffsetModuleName: 4,
  NumberOfModuleForwarderRefs: 6,
} as const;

export const IMAGE_BASE_RELOCATION = { size: 8, VirtualAddress: 0, SizeOfBlock: 4 } as const;

/** Base relocation types (winnt.h IMAGE_REL_BASED_*); 5, 7, 8, 9 depend on the machine. */
export const RelocType = {
  ABSOLUTE: 0,
  HIGH: 1,
  LOW: 2,
  HIGHLOW: 3,
  HIGHADJ: 4,
  MACHINE_SPECIFIC_5: 5, // MIPS_JMPADDR, ARM_MOV32, RISCV_HIGH20
  RESERVED: 6,
  MACHINE_SPECIFIC_7: 7, // THUMB_MOV32, RISCV_LOW12I
  MACHINE_SPECIFIC_8: 8, // RISCV_LOW12S, LOONGARCH_MARK_LA
  MACHINE_SPECIFIC_9: 9, // MIPS_JMPADDR16, IA64_IMM64
  DIR64: 10,
} as const;

export const IMAGE_RESOURCE_DIRECTORY = {
  size: 16,
  Characteristics: 0,
  TimeDateStamp: 4,
  MajorVersion: 8,
  MinorVersion: 10,
  NumberOfNamedEntries: 12,
  NumberOfIdEntries: 14,
} as const;
export const IMAGE_RESOURCE_DIRECTORY_ENTRY = { size: 8, Name: 0, OffsetToData: 4 } as const;
export const IMAGE_RESOURCE_DATA_ENTRY = { size: 16, OffsetToData: 0, Size: 4, CodePage: 8 } as const;
export const IMAGE_RESOURCE_NAME_IS_STRING = 0x80000000;
export const IMAGE_RESOURCE_DATA_IS_DIRECTORY = 0x80000000;
export const RT_VERSION = 16;

/** VS_FIXEDFILEINFO (verrsrc.h): 13 DWORDs. */
export const VS_FIXEDFILEINFO = {
  size: 52,
  dwSignature: 0,
  dwStrucVersion: 4,
  dwFileVersionMS: 8,
  dwFileVersionLS: 12,
  dwProductVersionMS: 16,
  dwProductVersionLS: 20,
  dwFileFlagsMask: 24,
  dwFileFlags: 28,
  dwFileOS: 32,
  dwFileType: 36,
  dwFileSubtype: 40,
  dwFileDateMS: 44,
  dwFileDateLS: 48,
} as const;
export const VS_FFI_SIGNATURE = 0xfeef04bd;
/** Header of every node in a VS_VERSIONINFO tree: wLength, wValueLength, wType, then szKey. */
export const VS_VERSION_NODE = { wLength: 0, wValueLength: 2, wType: 4, szKey: 6 } as const;

/** IMAGE_FILE_MACHINE_* values and the short names our reports use. */
export const MACHINE_NAMES: Readonly<Record<number, string>> = {
  0: 'unknown',
  332: 'i386',
  354: 'r3000',
  358: 'r4000',
  360: 'r10000',
  361: 'wcemipsv2',
  388: 'alpha',
  418: 'sh3',
  422: 'sh4',
  448: 'arm',
  450: 'thumb',
  452: 'armnt',
  496: 'powerpc',
  497: 'powerpcfp',
  512: 'ia64',
  614: 'mips16',
  644: 'alpha64',
  870: 'mipsfpu',
  3772: 'ebc',
  20530: 'riscv32',
  20580: 'riscv64',
  34404: 'amd64',
  43620: 'arm64',
};

/** IMAGE_FILE_* characteristics flags. */
export const FILE_CHARACTERISTICS: ReadonlyArray<readonly [number, string]> = [
  [0x0001, 'IMAGE_FILE_RELOCS_STRIPPED'],
  [0x0002, 'IMAGE_FILE_EXECUTABLE_IMAGE'],
  [0x0004, 'IMAGE_FILE_LINE_NUMS_STRIPPED'],
  [0x0008, 'IMAGE_FILE_LOCAL_SYMS_STRIPPED'],
  [0x0010, 'IMAGE_FILE_AGGRESIVE_WS_TRIM'],
  [0x0020, 'IMAGE_FILE_LARGE_ADDRESS_AWARE'],
  [0x0040, 'IMAGE_FILE_16BIT_MACHINE'],
  [0x0080, 'IMAGE_FILE_BYTES_REVERSED_LO'],
  [0x0100, 'IMAGE_FILE_32BIT_MACHINE'],
  [0x0200, 'IMAGE_FILE_DEBUG_STRIPPED'],
  [0x0400, 'IMAGE_FILE_REMOVABLE_RUN_FROM_SWAP'],
  [0x0800, 'IMAGE_FILE_NET_RUN_FROM_SWAP'],
  [0x1000, 'IMAGE_FILE_SYSTEM'],
  [0x2000, 'IMAGE_FILE_DLL'],
  [0x4000, 'IMAGE_FILE_UP_SYSTEM_ONLY'],
  [0x8000, 'IMAGE_FILE_BYTES_REVERSED_HI'],
];
export const IMAGE_FILE_RELOCS_STRIPPED = 0x0001;
export const IMAGE_FILE_SYSTEM = 0x1000;
export const IMAGE_FILE_DLL = 0x2000;
export const IMAGE_FILE_UP_SYSTEM_ONLY = 0x4000;

/** IMAGE_DLLCHARACTERISTICS_* flags. */
export const DLL_CHARACTERISTICS: ReadonlyArray<readonly [number, string]> = [
  [0x0020, 'IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA'],
  [0x0040, 'IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE'],
  [0x0080, 'IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY'],
  [0x0100, 'IMAGE_DLLCHARACTERISTICS_NX_COMPAT'],
  [0x0200, 'IMAGE_DLLCHARACTERISTICS_NO_ISOLATION'],
  [0x0400, 'IMAGE_DLLCHARACTERISTICS_NO_SEH'],
  [0x0800, 'IMAGE_DLLCHARACTERISTICS_NO_BIND'],
  [0x1000, 'IMAGE_DLLCHARACTERISTICS_APPCONTAINER'],
  [0x2000, 'IMAGE_DLLCHARACTERISTICS_WDM_DRIVER'],
  [0x4000, 'IMAGE_DLLCHARACTERISTICS_GUARD_CF'],
  [0x8000, 'IMAGE_DLLCHARACTERISTICS_TERMINAL_SERVER_AWARE'],
];

/** IMAGE_SCN_* section flags (alignment nibble handled separately). */
export const SECTION_CHARACTERISTICS: ReadonlyArray<readonly [number, string]> = [
  [0x00000008, 'IMAGE_SCN_TYPE_NO_PAD'],
  [0x00000020, 'IMAGE_SCN_CNT_CODE'],
  [0x00000040, 'IMAGE_SCN_CNT_INITIALIZED_DATA'],
  [0x00000080, 'IMAGE_SCN_CNT_UNINITIALIZED_DATA'],
  [0x00000100, 'IMAGE_SCN_LNK_OTHER'],
  [0x00000200, 'IMAGE_SCN_LNK_INFO'],
  [0x00000800, 'IMAGE_SCN_LNK_REMOVE'],
  [0x00001000, 'IMAGE_SCN_LNK_COMDAT'],
  [0x00008000, 'IMAGE_SCN_GPREL'],
  [0x01000000, 'IMAGE_SCN_LNK_NRELOC_OVFL'],
  [0x02000000, 'IMAGE_SCN_MEM_DISCARDABLE'],
  [0x04000000, 'IMAGE_SCN_MEM_NOT_CACHED'],
  [0x08000000, 'IMAGE_SCN_MEM_NOT_PAGED'],
  [0x10000000, 'IMAGE_SCN_MEM_SHARED'],
  [0x20000000, 'IMAGE_SCN_MEM_EXECUTE'],
  [0x40000000, 'IMAGE_SCN_MEM_READ'],
  [0x80000000, 'IMAGE_SCN_MEM_WRITE'],
];
export const IMAGE_SCN_MEM_DISCARDABLE = 0x02000000;
export const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
export const IMAGE_SCN_MEM_READ = 0x40000000;
export const IMAGE_SCN_MEM_WRITE = 0x80000000;

/** IMAGE_SUBSYSTEM_* values. */
export const SUBSYSTEM_NAMES: Readonly<Record<number, string>> = {
  0: 'unknown',
  1: 'native',
  2: 'windows-gui',
  3: 'windows-cui',
  5: 'os2-cui',
  7: 'posix-cui',
  8: 'native-windows',
  9: 'windows-ce-gui',
  10: 'efi-application',
  11: 'efi-boot-service-driver',
  12: 'efi-runtime-driver',
  13: 'efi-rom',
  14: 'xbox',
  16: 'windows-boot-application',
};
