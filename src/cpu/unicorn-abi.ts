// Constants and struct layouts of libunicorn's C API (Unicorn 2.0.1, as Debian's libunicorn-dev ships
// unicorn/unicorn.h and unicorn/x86.h), copied here because a user machine has only libunicorn2.
// Every value was printed by compiling those headers; test/cpu/unicorn-abi.test.ts recompiles them and
// compares when the headers are present. Enums have gaps (UC_X86_REG_ES = UC_X86_REG_EIP + 2):
// never count along an enum, always copy the value.

/** uc_arch (unicorn.h). */
export const UC_ARCH_X86 = 4;
/** uc_mode (unicorn.h): UC_MODE_32 = 1 << 2. */
export const UC_MODE_32 = 4;

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

/** uc_prot (unicorn.h). */
export const UC_PROT_READ = 1;
export const UC_PROT_WRITE = 2;
export const UC_PROT_EXEC = 4;

/**
 * uc_hook_type (unicorn.h). uc_hook_add is variadic: `begin` and `end` (uint64_t) follow
 * `user_data` for every type; UC_HOOK_INSN adds the instruction id (int) after them.
 */
export const UC_HOOK_INTR = 1 << 0;
export const UC_HOOK_INSN = 1 << 1;
export const UC_HOOK_CODE = 1 << 2;
export const UC_HOOK_BLOCK = 1 << 3;
export const UC_HOOK_MEM_READ_UNMAPPED = 1 << 4;
export const UC_HOOK_MEM_WRITE_UNMAPPED = 1 << 5;
export const UC_HOOK_MEM_FETCH_UNMAPPED = 1 << 6;
export const UC_HOOK_MEM_READ_PROT = 1 << 7;
export const UC_HOOK_MEM_WRITE_PROT = 1 << 8;
export const UC_HOOK_MEM_FETCH_PROT = 1 << 9;
/** UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT = 112 | 896. */
export const UC_HOOK_MEM_INVALID = 1008;

/** uc_mem_type, the `type` argument of an invalid-memory hook (unicorn.h). */
export const UcMem = {
  READ_UNMAPPED: 19,
  WRITE_UNMAPPED: 20,
  FETCH_UNMAPPED: 21,
  WRITE_PROT: 22,
  READ_PROT: 23,
  FETCH_PROT: 24,
} as const;

/** uc_query_type (unicorn.h): result is non-zero when the last uc_emu_start ended by its timeout. */
export const UC_QUERY_TIMEOUT = 4;

/**
 * uc_ctl control word for UC_CTL_TB_REMOVE_CACHE (9) with two uint64_t arguments (begin, end
 * exclusive), written: UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2) = 9 | 2 << 26 | 1 << 30 (unicorn.h).
 */
export const UC_CTL_TB_REMOVE_CACHE_WRITE = 0x48000009;

/** uc_x86_reg values (x86.h). */
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
  cr2: 52,
  cr3: 53,
  cr4: 54,
  idtr: 242,
  gdtr: 243,
  ldtr: 244,
  tr: 245,
} as const;

/** uc_x86_insn values for UC_HOOK_INSN (x86.h). */
export const UC_X86_INS_IN = 218;
export const UC_X86_INS_OUT = 500;

/** struct uc_x86_mmr { uint16_t selector; uint64_t base; uint32_t limit; uint32_t flags; } (x86.h). */
export const UC_X86_MMR = { size: 24, selector: 0, base: 8, limit: 16, flags: 20 } as const;

/** struct uc_mem_region { uint64_t begin; uint64_t end; uint32_t perms; } (unicorn.h); `end` inclusive. */
export const UC_MEM_REGION = { size: 24, begin: 0, end: 8, perms: 16 } as const;

/** uc_mode (unicorn.h): UC_MODE_64 = 1 << 3, long mode (AMD64). */
export const UC_MODE_64 = 8;

/** uc_x86_reg values of the AMD64 registers (x86.h); UC_MODE_64 engines only. */
export const UcX64Reg = {
  rax: 35,
  rbx: 37,
  rcx: 38,
  rdx: 40,
  rsi: 43,
  rdi: 39,
  rbp: 36,
  rsp: 44,
  rip: 41,
  rflags: 253,
  r8: 106,
  r9: 107,
  r10: 108,
  r11: 109,
  r12: 110,
  r13: 111,
  r14: 112,
  r15: 113,
  fs_base: 250,
  gs_base: 251,
  msr: 248,
} as const;

/** struct uc_x86_msr { uint32_t rid; uint64_t value; } (x86.h), written with UC_X86_REG_MSR. */
export const UC_X86_MSR = { size: 16, rid: 0, value: 8 } as const;
