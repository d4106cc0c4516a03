// SDDL strings (the Security Descriptor Definition Language KMDF control devices are secured with,
// e.g. SDDL_DEVOBJ_SYS_ALL_ADM_ALL = "D:P(A;;GA;;;SY)(A;;GA;;;BA)", wdmsec.h) turned into the
// self-relative SECURITY_DESCRIPTOR NT keeps on the device. Covers what device SDDL uses (wdmsec's
// documented subset): owner, group, a DACL of allow/deny ACEs with rights by name or number, and SIDs
// by alias or S-1-… form.

/** Why an SDDL string was refused (NT: STATUS_INVALID_PARAMETER from IoCreateDeviceSecure). */
export class SddlError extends Error {
  override readonly name = 'SddlError';
}

/** Well-known SID aliases (sddl.h) as S-1-… authorities and sub-authorities. */
const ALIASES: Record<string, [number, number[]]> = {
  WD: [1, [0]],
  CO: [3, [0]],
  AN: [5, [7]],
  IU: [5, [4]],
  SU: [5, [6]],
  RC: [5, [12]],
  AU: [5, [11]],
  SY: [5, [18]],
  LS: [5, [19]],
  NS: [5, [20]],
  BA: [5, [32, 544]],
  BU: [5, [32, 545]],
  BG: [5, [32, 546]],
  PU: [5, [32, 547]],
};
/**
 * Access rights by SDDL name. Generic rights appear mapped through the file object type's generic
 * mapping (FILE_GENERIC_READ 0x120089, _WRITE 0x120116, _EXECUTE 0x1200A0, FILE_ALL_ACCESS 0x1F01FF),
 * as the object manager stores a device's descriptor.
 */
const RIGHTS: Record<string, number> = {
  GA: 0x1f01ff,
  GR: 0x120089,
  GW: 0x120116,
  GX: 0x1200a0,
  FA: 0x1f01ff,
  FR: 0x120089,
  FW: 0x120116,
  FX: 0x1200a0,
  SD: 0x10000,
  RC: 0x20000,
  WD: 0x40000,
  WO: 0x80000,
};
const ACE_FLAGS: Record<string, number> = { OI: 0x1, CI: 0x2, NP: 0x4, IO: 0x8, ID: 0x10 };
const SE_DACL_PRESENT = 0x4;
const SE_DACL_PROTECTED = 0x1000;
const SE_SELF_RELATIVE = 0x8000;

function sidBytes(text: string): Uint8Array {
  let authority: number;
  let subs: number[];
  const alias = ALIASES[text];
  if (alias) [authority, subs] = alias;
  else {
    const m = /^S-1-(\d+)((?:-\d+)*)$/i.exec(text);
    if (!m) throw new SddlError(`unknown SID "${text}"`);
    authority = Number(m[1]);
    subs = m[2]!.split('-').filter(Boolean).map(Number);
    if (subs.length > 15 || subs.some((s) => s > 0xffffffff)) throw new SddlError(`bad SID "${text}"`);
  }
  const out = new Uint8Array(8 + 4 * subs.length);
  const v = new DataView(out.buffer);
  out[0] = 1;
  out[1] = subs.length;
  v.setUint16(6, authority, false); // IdentifierAuthority, big-endian (fits in the low 16 bits here)
  subs.forEach((s, i) => {
    v.setUint32(8 + 4 * i, s, true);
  });
  return out;
}

function rightsOf(text: string): number {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text, 16) >>> 0;
  let mask = 0;
  for (let i = 0; i < text.length; i += 2) {
    const r = RIGHTS[text.slice(i, i + 2).toUpperCase()];
    if (r === undefined) throw new SddlError(`unknown right "${text.slice(i, i + 2)}"`);
    mask |= r;
  }
  return mask >>> 0;
}

/** One ACE of the DACL as SDDL wrote it. */
export interface SddlAce {
  allow: boolean;
  flags: number;
  mask: number;
  sid: string;
}

/** A parsed SDDL string. */
export interface ParsedSddl {
  owner: string | null;
  group: string | null;
  protectedDacl: boolean;
  aces: SddlAce[];
}

/** Parses `O:…G:…D:[P](ace)(ace)…`; throws SddlError on anything else. */
export function parseSddl(sddl: string): ParsedSddl {
  const out: ParsedSddl = { owner: null, group: null, protectedDacl: false, aces: [] };
  const parts = /^(?:O:([^:()]+?)(?=G:|D:|$))?(?:G:([^:()]+?)(?=D:|$))?(?:D:(P?)((?:\([^()]*\))*))?$/i.exec(
    sddl.trim(),
  );
  if (!parts || sddl.trim() === '') throw new SddlError(`unsupported SDDL "${sddl}"`);
  out.owner = parts[1] ?? null;
  out.group = parts[2] ?? null;
  out.protectedDacl = parts[3] === 'P' || parts[3] === 'p';
  for (const m of (parts[4] ?? '').matchAll(/\(([^()]*)\)/g)) {
    const f = m[1]!.split(';');
    if (f.length !== 6) throw new SddlError(`bad ACE "(${m[1]})"`);
    const [type, flags, rights, , , sid] = f as [string, string, string, string, string, string];
    if (type !== 'A' && type !== 'D') throw new SddlError(`unsupported ACE type "${type}"`);
    let flagBits = 0;
    for (let i = 0; i < flags.length; i += 2) {
      const b = ACE_FLAGS[flags.slice(i, i + 2).toUpperCase()];
      if (b === undefined) throw new SddlError(`unknown ACE flag "${flags.slice(i, i + 2)}"`);
      flagBits |= b;
    }
    out.aces.push({ allow: type === 'A', flags: flagBits, mask: rightsOf(rights), sid });
  }
  return out;
}

/** The self-relative SECURITY_DESCRIPTOR (revision 1, ACL revision 2) an SDDL string describes. */
export function securityDescriptorOf(sddl: string): Uint8Array {
  const p = parseSddl(sddl);
  const owner = p.owner ? sidBytes(p.owner) : null;
  const group = p.group ? sidBytes(p.group) : null;
  const aces = p.aces.map((a) => {
    const sid = sidBytes(a.sid);
    const ace = new Uint8Array(8 + sid.length);
    const v = new DataView(ace.buffer);
    ace[0] = a.allow ? 0 : 1; // ACCESS_ALLOWED_ACE_TYPE / ACCESS_DENIED_ACE_TYPE
    ace[1] = a.flags;
    v.setUint16(2, ace.length, true);
    v.setUint32(4, a.mask, true);
    ace.set(sid, 8);
    return ace;
  });
  const aclSize = 8 + aces.reduce((n, a) => n + a.length, 0);
  const size = 20 + (owner?.length ?? 0) + (group?.length ?? 0) + aclSize;
  const sd = new Uint8Array(size);
  const v = new DataView(sd.buffer);
  sd[0] = 1;
  v.setUint16(2, SE_SELF_RELATIVE | SE_DACL_PRESENT | (p.protectedDacl ? SE_DACL_PROTECTED : 0), true);
  let at = 20;
  if (owner) {
    v.setUint32(4, at, true);
    sd.set(owner, at);
    at += owner.length;
  }
  if (group) {
    v.setUint32(8, at, true);
    sd.set(group, at);
    at += group.length;
  }
  v.setUint32(16, at, true);
  sd[at] = 2; // ACL_REVISION
  v.setUint16(at + 2, aclSize, true);
  v.setUint16(at + 4, aces.length, true);
  at += 8;
  for (const a of aces) {
    sd.set(a, at);
    at += a.length;
  }
  return sd;
}
