// NT's x86 exception structures and constants (ntdef.h/winnt.h of the NT 3.51/4.0 DDK, ks386.inc;
// the same layouts ReactOS's sdk/include and the WRK's base/ntos/inc/i386.h give): EXCEPTION_RECORD,
// the i386 CONTEXT, EXCEPTION_REGISTRATION_RECORD, the flags and dispositions RtlDispatchException uses.

/** EXCEPTION_RECORD (x86): 0x50 bytes, at most 15 parameters. */
export const EXCEPTION_RECORD = {
  ExceptionCode: 0x00,
  ExceptionFlags: 0x04,
  ExceptionRecord: 0x08,
  ExceptionAddress: 0x0c,
  NumberParameters: 0x10,
  ExceptionInformation: 0x14,
  size: 0x50,
} as const;
/** EXCEPTION_MAXIMUM_PARAMETERS. */
export const EXCEPTION_MAXIMUM_PARAMETERS = 15;

/** The i386 CONTEXT (0x2CC bytes): the integer and control registers handlers read and change. */
export const CONTEXT = {
  ContextFlags: 0x00,
  Dr0: 0x04,
  FloatSave: 0x1c,
  SegGs: 0x8c,
  SegFs: 0x90,
  SegEs: 0x94,
  SegDs: 0x98,
  Edi: 0x9c,
  Esi: 0xa0,
  Ebx: 0xa4,
  Edx: 0xa8,
  Ecx: 0xac,
  Eax: 0xb0,
  Ebp: 0xb4,
  Eip: 0xb8,
  SegCs: 0xbc,
  EFlags: 0xc0,
  Esp: 0xc4,
  SegSs: 0xc8,
  size: 0x2cc,
} as const;
/** CONTEXT_i386 | CONTEXT_CONTROL | CONTEXT_INTEGER | CONTEXT_SEGMENTS (CONTEXT_FULL). */
export const CONTEXT_FULL = 0x10007;

/** EXCEPTION_REGISTRATION_RECORD { Next; Handler; }: the frames of the FS:[0] chain. */
export const REGISTRATION = { Next: 0x0, Handler: 0x4, size: 0x8 } as const;
/** EXCEPTION_CHAIN_END: the chain's terminator. */
export const CHAIN_END = 0xffffffff;

/** ExceptionFlags (ntrtl.h / winnt.h). */
export const ExceptionFlag = {
  NONCONTINUABLE: 0x01,
  UNWINDING: 0x02,
  EXIT_UNWIND: 0x04,
  STACK_INVALID: 0x08,
  NESTED_CALL: 0x10,
  TARGET_UNWIND: 0x20,
  COLLIDED_UNWIND: 0x40,
} as const;
/** EXCEPTION_UNWIND: either unwinding flag. */
export const EXCEPTION_UNWIND = ExceptionFlag.UNWINDING | ExceptionFlag.EXIT_UNWIND;

/** EXCEPTION_DISPOSITION (excpt.h). */
export const Disposition = {
  ContinueExecution: 0,
  ContinueSearch: 1,
  NestedException: 2,
  CollidedUnwind: 3,
} as const;

/** EFLAGS.TF, the trap flag (single step). */
export const EFLAGS_TF = 0x100;

/** Exception codes raised by the dispatcher and the CPU traps (ntstatus.h). */
export const ExceptionCode = {
  ACCESS_VIOLATION: 0xc0000005,
  DATATYPE_MISALIGNMENT: 0x80000002,
  BREAKPOINT: 0x80000003,
  SINGLE_STEP: 0x80000004,
  ILLEGAL_INSTRUCTION: 0xc000001d,
  NONCONTINUABLE_EXCEPTION: 0xc0000025,
  INVALID_DISPOSITION: 0xc0000026,
  ARRAY_BOUNDS_EXCEEDED: 0xc000008c,
  INTEGER_DIVIDE_BY_ZERO: 0xc0000094,
  INTEGER_OVERFLOW: 0xc0000095,
  PRIVILEGED_INSTRUCTION: 0xc0000096,
  UNWIND: 0xc0000027,
  BAD_STACK: 0xc0000028,
  INVALID_UNWIND_TARGET: 0xc0000029,
} as const;

/** KMODE_EXCEPTION_NOT_HANDLED. */
export const KMODE_EXCEPTION_NOT_HANDLED = 0x1e;
