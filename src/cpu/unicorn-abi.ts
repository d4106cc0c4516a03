// Constants of libunicorn's C API (Unicorn 2.0.1, Debian libunicorn-dev: unicorn/unicorn.h and
// unicorn/x86.h), printed by compiling those headers, because user machines have only libunicorn2.
// The x86 register enum has gaps (UC_X86_REG_ES = UC_X86_REG_EIP + 2): never count, always copy.

export const UC_ARCH_X86 = 4;
export const UC_MODE_32 = 1 << 2;

/** uc_err (unicorn.h). */
export const UcErr = {
  OK: 0,
  NOMEM: 1,
  ARCH: 2,
  HANDLE: 3,
  MODE: 4,
  VERSION: 5,
  READ_UNMAPPED: 6,
  WRITE_UNMAPPED: 7,
  FETCH_UNMAPPED: 8,
  HOOK: 9,
  INSN_INVALID: 10,
  MAP: 11,
  WRITE_PROT: 12,
  READ_PROT: 13,
  FETCH_PROT: 14,
  ARG: 15,
  READ_UNALIGNED: 16,
  WRITE_UNALIGNED: 17,
  FETCH_UNALIGNED: 18,
  HOOK_EXIST: 19,
  RESOURCE: 20,
  EXCEPTION: 21,
} as const;

/** uc_prot. */
export const UC_PROT_READ = 1;
export const UC_PROT_WRITE = 2;
export const UC_PROT_EXEC = 4;

/** uc_hook_type. */
export const UC_HOOK_INTR = 1 << 0;
export const UC_HOOK_INSN = 1 << 1;
export const UC_HOOK_CODE = 1 << 2;
export const UC_HOOK_BLOCK = 1 << 3;
export const UC_HOOK_MEM_INVALID = 1008; // UC_HOOK_MEM_UNMAPPED (112) + UC_HOOK_MEM_PROT (896)

/** uc_mem_type, as passed to invalid-memory hooks. */
export const UcMem = {
  READ_UNMAPPED: 19,
  WRITE_UNMAPPED: 20,
  FETCH_UNMAPPED: 21,
  WRITE_PROT: 22,
  READ_PROT: 23,
  FETCH_PROT: 24,
} as const;

/** uc_query_type. */
export const UC_QUERY_TIMEOUT = 4;

/** uc_x86_reg values used by nt351 (from x86.h). */
export const UcX86Reg = {
  eax: 19,
  ebx: 21,
  ecx: 22,
  edx: 24,
  esi: 29,
  edi: 23,
  ebp: 20,
  esp: 30,
  eip: 26,
  eflags: 25,
  cs: 11,
  ds: 17,
  es: 28,
  fs: 32,
  gs: 33,
  ss: 49,
  cr0: 50,
  cr3: 53,
  cr4: 54,
  idtr: 242,
  gdtr: 243,
} as const;

/** uc_x86_insn values for UC_HOOK_INSN. */
export const UC_X86_INS_IN = 218;
export const UC_X86_INS_OUT = 500;

/** struct uc_x86_mmr { uint16_t selector; uint64_t base; uint32_t limit; uint32_t flags; } */
export const UC_X86_MMR = { size: 24, selector: 0, base: 8, limit: 16, flags: 20 } as const;
