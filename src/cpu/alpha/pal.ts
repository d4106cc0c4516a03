// Interrupt vectors of the Alpha interpreter: every CALL_PAL reaches hookInterrupt with its PAL
// function code as the vector; CPU traps use vectors above the 26-bit PAL function space.
// NT's PAL function codes are those of alphaops.h in the NT SDK (public/sdk/inc/alphaops.h, as
// published in the Windows Server 2003 source tree): privileged functions 0x00-0x3f, unprivileged
// 0x80 | n. callsys 0x83 is also Alpha Linux's system-call gate (used by the qemu differential test).

/** NT (and common) CALL_PAL function codes, by name. */
export const NT_PAL = {
  // Privileged (PRIV_PAL_FUNC | n).
  halt: 0x00,
  restart: 0x01,
  draina: 0x02,
  reboot: 0x03,
  initpal: 0x04,
  wrentry: 0x05,
  swpirql: 0x06,
  rdirql: 0x07,
  di: 0x08,
  ei: 0x09,
  swppal: 0x0a,
  ssir: 0x0c,
  csir: 0x0d,
  rfe: 0x0e,
  retsys: 0x0f,
  swpctx: 0x10,
  swpprocess: 0x11,
  rdmces: 0x12,
  wrmces: 0x13,
  tbia: 0x14,
  tbis: 0x15,
  dtbis: 0x16,
  tbisasn: 0x17,
  rdksp: 0x18,
  swpksp: 0x19,
  rdpsr: 0x1a,
  rdpcr: 0x1c,
  rdthread: 0x1e,
  tbim: 0x20,
  tbimasn: 0x21,
  rdcounters: 0x30,
  rdstate: 0x31,
  wrperfmon: 0x32,
  initpcr: 0x38,
  // Unprivileged (UNPRIV_PAL_FUNC 0x80 | n).
  bpt: 0x80,
  callsys: 0x83,
  imb: 0x86,
  gentrap: 0xaa,
  rdteb: 0xab,
  kbpt: 0xac,
  callkd: 0xad,
} as const;

/**
 * Vectors of CPU traps, outside the PAL function space (CALL_PAL function codes are 26 bits, so
 * these never collide with one).
 */
export const ALPHA_TRAP = {
  /** Integer overflow of an /V instruction (ADDL/V, SUBQ/V, MULQ/V...): the arithmetic trap. */
  arithmetic: 0x4000001,
  /** Unaligned LDWU/LDL/LDQ/LDx_L/STW/STL/STQ/STx_C (NT fixes these up in its trap handler). */
  unaligned: 0x4000002,
} as const;
