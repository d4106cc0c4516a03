// NT's AMD64 exception structures and unwind-data encoding (winnt.h of the x64 WDK, as ReactOS's
// sdk/include/xdk and Wine's include/winnt.h give them; the unwind data as Microsoft Learn's "x64
// exception handling" describes it): CONTEXT, EXCEPTION_RECORD64, DISPATCHER_CONTEXT, RUNTIME_FUNCTION,
// UNWIND_INFO and its UNWIND_CODE operations.

/** EXCEPTION_RECORD on AMD64 (0x98 bytes): ULONG_PTR fields are 8 bytes wide. */
export const EXCEPTION_RECORD64 = {
  ExceptionCode: 0x00,
  ExceptionFlags: 0x04,
  ExceptionRecord: 0x08,
  ExceptionAddress: 0x10,
  NumberParameters: 0x18,
  ExceptionInformation: 0x20,
  size: 0x98,
} as const;

/** The AMD64 CONTEXT (0x4D0 bytes, 16-byte aligned). Integer registers from Rax in unwind order. */
export const CONTEXT64 = {
  ContextFlags: 0x30,
  MxCsr: 0x34,
  SegCs: 0x38,
  SegDs: 0x3a,
  SegEs: 0x3c,
  SegFs: 0x3e,
  SegGs: 0x40,
  SegSs: 0x42,
  EFlags: 0x44,
  /** Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8..R15: 8 bytes each, in the unwind codes' numbering. */
  Rax: 0x78,
  Rsp: 0x98,
  Rip: 0xf8,
  /** FltSave (XMM_SAVE_AREA32) at 0x100; its XmmRegisters[16] at 0xA0 into it. */
  Xmm0: 0x1a0,
  size: 0x4d0,
} as const;
/** CONTEXT_AMD64 | CONTEXT_CONTROL | CONTEXT_INTEGER | CONTEXT_SEGMENTS | CONTEXT_FLOATING_POINT. */
export const CONTEXT64_FULL = 0x10000f;

/** The integer registers in the unwind codes' numbering (UNWIND_CODE OpInfo; CONTEXT order from Rax). */
export const GPR64 = [
  'rax',
  'rcx',
  'rdx',
  'rbx',
  'rsp',
  'rbp',
  'rsi',
  'rdi',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'r13',
  'r14',
  'r15',
] as const;
/** Register numbers the unwinder uses by name. */
export const RSP = 4;

/** DISPATCHER_CONTEXT (AMD64): what the dispatcher hands a language handler. 0x50 bytes. */
export const DISPATCHER_CONTEXT = {
  ControlPc: 0x00,
  ImageBase: 0x08,
  FunctionEntry: 0x10,
  EstablisherFrame: 0x18,
  TargetIp: 0x20,
  ContextRecord: 0x28,
  LanguageHandler: 0x30,
  HandlerData: 0x38,
  HistoryTable: 0x40,
  ScopeIndex: 0x48,
  Fill0: 0x4c,
  size: 0x50,
} as const;

/** RUNTIME_FUNCTION: BeginAddress, EndAddress, UnwindData (RVAs); 12 bytes. */
export const RUNTIME_FUNCTION = { BeginAddress: 0, EndAddress: 4, UnwindData: 8, size: 12 } as const;

/** UNWIND_INFO Flags and RtlVirtualUnwind's HandlerType. */
export const UnwindFlag = { NHANDLER: 0, EHANDLER: 1, UHANDLER: 2, CHAININFO: 4 } as const;

/** UNWIND_CODE UnwindOp values. */
export const UnwindOp = {
  PUSH_NONVOL: 0,
  ALLOC_LARGE: 1,
  ALLOC_SMALL: 2,
  SET_FPREG: 3,
  SAVE_NONVOL: 4,
  SAVE_NONVOL_FAR: 5,
  /** Version 2: an epilogue's location; nothing to unwind. */
  EPILOG: 6,
  SPARE_CODE: 7,
  SAVE_XMM128: 8,
  SAVE_XMM128_FAR: 9,
  PUSH_MACHFRAME: 10,
} as const;

/** The image directory holding .pdata (IMAGE_DIRECTORY_ENTRY_EXCEPTION). */
export const IMAGE_DIRECTORY_ENTRY_EXCEPTION = 3;
