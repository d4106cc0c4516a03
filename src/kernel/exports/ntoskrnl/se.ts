// Security routines (ntoskrnl!Rtl*Sid*, *Acl*, *SecurityDescriptor*, Se*): SIDs, ACLs and security
// descriptors in guest memory as winnt.h lays them out, what IoCreateDeviceSecure's library code in
// WDK drivers calls. Model: the System thread holds every privilege; access checks grant.
import type { KernelContext } from '../../context.js';
import { defineExport, type ExportHandler } from '../../registry.js';
import { NTSTATUS } from '../status.js';

const nt = (prototype: string, impl: ExportHandler['impl'], pure = false) =>
  defineExport({ module: 'ntoskrnl', prototype, impl, pure });

/**
 * SECURITY_DESCRIPTOR_RELATIVE (the same on every machine): Revision, Sbz1, Control, then the parts
 * as ULONG offsets from the descriptor. `size` is the header's.
 */
const SD = { Control: 2, Owner: 4, Group: 8, Sacl: 12, Dacl: 16, size: 20 } as const;
type Part = 'Owner' | 'Group' | 'Sacl' | 'Dacl';
/** SECURITY_DESCRIPTOR (absolute): the parts are pointers, after Control at the pointer alignment. */
const absolute = (ctx: KernelContext) => {
  const p = ctx.mem.pointerSize;
  return { Owner: p, Group: 2 * p, Sacl: 3 * p, Dacl: 4 * p, size: 5 * p } as const;
};
const SE_OWNER_DEFAULTED = 0x1;
const SE_GROUP_DEFAULTED = 0x2;
const SE_DACL_PRESENT = 0x4;
const SE_DACL_DEFAULTED = 0x8;
const SE_SACL_PRESENT = 0x10;
const SE_SACL_DEFAULTED = 0x20;
const SE_SELF_RELATIVE = 0x8000;
const STATUS_INVALID_SID = 0xc0000078;
const STATUS_UNKNOWN_REVISION = 0xc0000058;
const STATUS_INVALID_SECURITY_DESCR = 0xc0000079;
const STATUS_ALLOTTED_SPACE_EXCEEDED = 0xc0000099;

const sidLength = (ctx: KernelContext, sid: number) => 8 + 4 * ctx.mem.u8(sid + 1);
const validSid = (ctx: KernelContext, sid: number) =>
  sid !== 0 && ctx.mem.u8(sid) === 1 && ctx.mem.u8(sid + 1) <= 15;
const aclSize = (ctx: KernelContext, acl: number) => ctx.mem.u16(acl + 2);

/** A descriptor's part: an absolute one's pointer, or a self-relative one's offset from it. */
function field(ctx: KernelContext, sd: number, part: Part): number {
  if (!(ctx.mem.u16(sd + SD.Control) & SE_SELF_RELATIVE)) return ctx.mem.ptr(sd + absolute(ctx)[part]);
  const v = ctx.mem.u32(sd + SD[part]);
  return v ? sd + v : 0;
}
function sdLength(ctx: KernelContext, sd: number): number {
  let n = SD.size;
  const owner = field(ctx, sd, 'Owner');
  const group = field(ctx, sd, 'Group');
  const control = ctx.mem.u16(sd + SD.Control);
  if (owner) n += (sidLength(ctx, owner) + 3) & ~3;
  if (group) n += (sidLength(ctx, group) + 3) & ~3;
  const sacl = control & SE_SACL_PRESENT ? field(ctx, sd, 'Sacl') : 0;
  const dacl = control & SE_DACL_PRESENT ? field(ctx, sd, 'Dacl') : 0;
  if (sacl) n += (aclSize(ctx, sacl) + 3) & ~3;
  if (dacl) n += (aclSize(ctx, dacl) + 3) & ~3;
  return n;
}
/** Writes the self-relative form of `sd` at `out` (which has room, checked by the caller). */
function makeSelfRelative(ctx: KernelContext, sd: number, out: number): void {
  const control = ctx.mem.u16(sd + SD.Control);
  const header = new Uint8Array(SD.size);
  header[0] = 1;
  const v = new DataView(header.buffer);
  v.setUint16(SD.Control, control | SE_SELF_RELATIVE, true);
  let at = SD.size;
  const copy = (src: number, length: number, part: Part) => {
    ctx.mem.write(out + at, ctx.mem.bytes(src, length));
    v.setUint32(SD[part], at, true);
    at += (length + 3) & ~3;
  };
  const owner = field(ctx, sd, 'Owner');
  const group = field(ctx, sd, 'Group');
  const sacl = control & SE_SACL_PRESENT ? field(ctx, sd, 'Sacl') : 0;
  const dacl = control & SE_DACL_PRESENT ? field(ctx, sd, 'Dacl') : 0;
  if (owner) copy(owner, sidLength(ctx, owner), 'Owner');
  if (group) copy(group, sidLength(ctx, group), 'Group');
  if (sacl) copy(sacl, aclSize(ctx, sacl), 'Sacl');
  if (dacl) copy(dacl, aclSize(ctx, dacl), 'Dacl');
  ctx.mem.write(out, header);
}
/** Offset of the first free byte after the ACL's ACEs. */
function aclEnd(ctx: KernelContext, acl: number): number {
  let at = 8;
  for (let i = 0; i < ctx.mem.u16(acl + 4); i++) at += ctx.mem.u16(acl + at + 2);
  return at;
}
function addAce(
  ctx: KernelContext,
  acl: number,
  type: number,
  flags: number,
  mask: number,
  sid: number,
): number {
  if (!validSid(ctx, sid)) return STATUS_INVALID_SID;
  const end = aclEnd(ctx, acl);
  const size = 8 + sidLength(ctx, sid);
  if (end + size > aclSize(ctx, acl)) return STATUS_ALLOTTED_SPACE_EXCEEDED;
  const ace = new Uint8Array(size);
  const v = new DataView(ace.buffer);
  ace[0] = type;
  ace[1] = flags;
  v.setUint16(2, size, true);
  v.setUint32(4, mask, true);
  ace.set(ctx.mem.bytes(sid, sidLength(ctx, sid)), 8);
  ctx.mem.write(acl + end, ace);
  ctx.mem.setU16(acl + 4, ctx.mem.u16(acl + 4) + 1);
  return NTSTATUS.SUCCESS;
}
function setPart(
  ctx: KernelContext,
  sd: number,
  part: Part,
  value: number,
  presentBit: number,
  defaultedBit: number,
  present: number,
  defaulted: number,
): number {
  let control = ctx.mem.u16(sd + SD.Control);
  if (control & SE_SELF_RELATIVE) return STATUS_INVALID_SECURITY_DESCR;
  control =
    (control & ~(presentBit | defaultedBit)) |
    (present ? presentBit : 0) |
    (defaulted & 0xff ? defaultedBit : 0);
  ctx.mem.setU16(sd + SD.Control, control);
  ctx.mem.setPtr(sd + absolute(ctx)[part], present ? value : 0);
  return NTSTATUS.SUCCESS;
}

export const seExports: ExportHandler[] = [
  nt('ULONG RtlLengthRequiredSid(ULONG SubAuthorityCount)', (_ctx, [n]) => 8 + 4 * n!, true),
  nt('ULONG RtlLengthSid(PSID Sid)', (ctx, [sid]) => sidLength(ctx, sid!), true),
  nt('BOOLEAN RtlValidSid(PSID Sid)', (ctx, [sid]) => (validSid(ctx, sid!) ? 1 : 0), true),
  nt(
    'BOOLEAN RtlEqualSid(PSID Sid1, PSID Sid2)',
    (ctx, [a, b]) => {
      const n = sidLength(ctx, a!);
      if (n !== sidLength(ctx, b!)) return 0;
      const x = ctx.mem.bytes(a!, n);
      const y = ctx.mem.bytes(b!, n);
      return x.every((c, i) => c === y[i]) ? 1 : 0;
    },
    true,
  ),
  nt(
    'NTSTATUS RtlCopySid(ULONG DestinationSidLength, PSID DestinationSid, PSID SourceSid)',
    (ctx, [n, d, s]) => {
      const length = sidLength(ctx, s!);
      if (n! < length) return NTSTATUS.BUFFER_TOO_SMALL;
      ctx.mem.write(d!, ctx.mem.bytes(s!, length));
      return NTSTATUS.SUCCESS;
    },
    true,
  ),
  nt(
    'NTSTATUS RtlInitializeSid(PSID Sid, PSID_IDENTIFIER_AUTHORITY IdentifierAuthority, UCHAR SubAuthorityCount)',
    (ctx, [sid, auth, n]) => {
      ctx.mem.write(sid!, new Uint8Array([1, n! & 0xff]));
      ctx.mem.write(sid! + 2, ctx.mem.bytes(auth!, 6));
      return NTSTATUS.SUCCESS;
    },
    true,
  ),
  nt('PULONG RtlSubAuthoritySid(PSID Sid, ULONG SubAuthority)', (_ctx, [sid, i]) => sid! + 8 + 4 * i!, true),
  nt('PUCHAR RtlSubAuthorityCountSid(PSID Sid)', (_ctx, [sid]) => sid! + 1, true),
  nt(
    'NTSTATUS RtlCreateAcl(PACL Acl, ULONG AclLength, ULONG AclRevision)',
    (ctx, [acl, n, rev]) => {
      if (n! < 8 || (rev !== 2 && rev !== 4))
        return n! < 8 ? NTSTATUS.BUFFER_TOO_SMALL : STATUS_UNKNOWN_REVISION;
      ctx.mem.write(acl!, new Uint8Array([rev!, 0, n! & 0xff, (n! >>> 8) & 0xff, 0, 0, 0, 0]));
      return NTSTATUS.SUCCESS;
    },
    true,
  ),
  nt(
    'BOOLEAN RtlValidAcl(PACL Acl)',
    (ctx, [acl]) => {
      const rev = ctx.mem.u8(acl!);
      return (rev === 2 || rev === 4) && aclEnd(ctx, acl!) <= aclSize(ctx, acl!) ? 1 : 0;
    },
    true,
  ),
  nt(
    'NTSTATUS RtlAddAccessAllowedAce(IN OUT PACL Acl, ULONG AceRevision, ACCESS_MASK AccessMask, PSID Sid)',
    (ctx, [acl, , mask, sid]) => addAce(ctx, acl!, 0, 0, mask!, sid!),
    true,
  ),
  nt(
    'NTSTATUS RtlAddAccessAllowedAceEx(IN OUT PACL Acl, ULONG AceRevision, ULONG AceFlags, ACCESS_MASK AccessMask, PSID Sid)',
    (ctx, [acl, , flags, mask, sid]) => addAce(ctx, acl!, 0, flags!, mask!, sid!),
    true,
  ),
  nt(
    'NTSTATUS RtlAddAccessDeniedAce(IN OUT PACL Acl, ULONG AceRevision, ACCESS_MASK AccessMask, PSID Sid)',
    (ctx, [acl, , mask, sid]) => addAce(ctx, acl!, 1, 0, mask!, sid!),
    true,
  ),
  nt(
    'NTSTATUS RtlGetAce(PACL Acl, ULONG AceIndex, OUT PVOID *Ace)',
    (ctx, [acl, index, out]) => {
      if (index! >= ctx.mem.u16(acl! + 4)) return NTSTATUS.INVALID_PARAMETER;
      let at = 8;
      for (let i = 0; i < index!; i++) at += ctx.mem.u16(acl! + at + 2);
      ctx.mem.setPtr(out!, acl! + at);
      return NTSTATUS.SUCCESS;
    },
    true,
  ),
  nt(
    'NTSTATUS RtlCreateSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, ULONG Revision)',
    (ctx, [sd, rev]) => {
      if (rev !== 1) return STATUS_UNKNOWN_REVISION;
      const b = new Uint8Array(absolute(ctx).size);
      b[0] = 1;
      ctx.mem.write(sd!, b);
      return NTSTATUS.SUCCESS;
    },
    true,
  ),
  nt(
    'BOOLEAN RtlValidSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor)',
    (ctx, [sd]) => {
      if (ctx.mem.u8(sd!) !== 1) return 0;
      const owner = field(ctx, sd!, 'Owner');
      return owner === 0 || validSid(ctx, owner) ? 1 : 0;
    },
    true,
  ),
  nt(
    'ULONG RtlLengthSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor)',
    (ctx, [sd]) => sdLength(ctx, sd!),
    true,
  ),
  nt(
    'NTSTATUS RtlSetDaclSecurityDescriptor(IN OUT PSECURITY_DESCRIPTOR SecurityDescriptor, BOOLEAN DaclPresent, PACL Dacl, BOOLEAN DaclDefaulted)',
    (ctx, [sd, present, dacl, defaulted]) =>
      setPart(ctx, sd!, 'Dacl', dacl!, SE_DACL_PRESENT, SE_DACL_DEFAULTED, present! & 0xff, defaulted!),
    true,
  ),
  nt(
    'NTSTATUS RtlSetSaclSecurityDescriptor(IN OUT PSECURITY_DESCRIPTOR SecurityDescriptor, BOOLEAN SaclPresent, PACL Sacl, BOOLEAN SaclDefaulted)',
    (ctx, [sd, present, sacl, defaulted]) =>
      setPart(ctx, sd!, 'Sacl', sacl!, SE_SACL_PRESENT, SE_SACL_DEFAULTED, present! & 0xff, defaulted!),
    true,
  ),
  nt(
    'NTSTATUS RtlSetOwnerSecurityDescriptor(IN OUT PSECURITY_DESCRIPTOR SecurityDescriptor, PSID Owner, BOOLEAN OwnerDefaulted)',
    (ctx, [sd, owner, defaulted]) => setPart(ctx, sd!, 'Owner', owner!, 0, SE_OWNER_DEFAULTED, 1, defaulted!),
    true,
  ),
  nt(
    'NTSTATUS RtlSetGroupSecurityDescriptor(IN OUT PSECURITY_DESCRIPTOR SecurityDescriptor, PSID Group, BOOLEAN GroupDefaulted)',
    (ctx, [sd, group, defaulted]) => setPart(ctx, sd!, 'Group', group!, 0, SE_GROUP_DEFAULTED, 1, defaulted!),
    true,
  ),
  nt(
    'NTSTATUS RtlGetDaclSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, OUT PBOOLEAN DaclPresent, OUT PACL *Dacl, OUT PBOOLEAN DaclDefaulted)',
    (ctx, [sd, present, dacl, defaulted]) => {
      const control = ctx.mem.u16(sd! + SD.Control);
      ctx.mem.write(present!, new Uint8Array([control & SE_DACL_PRESENT ? 1 : 0]));
      if (control & SE_DACL_PRESENT) {
        ctx.mem.setPtr(dacl!, field(ctx, sd!, 'Dacl'));
        ctx.mem.write(defaulted!, new Uint8Array([control & SE_DACL_DEFAULTED ? 1 : 0]));
      }
      return NTSTATUS.SUCCESS;
    },
    true,
  ),
  nt(
    'NTSTATUS RtlGetOwnerSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, OUT PSID *Owner, OUT PBOOLEAN OwnerDefaulted)',
    (ctx, [sd, owner, defaulted]) => {
      ctx.mem.setPtr(owner!, field(ctx, sd!, 'Owner'));
      ctx.mem.write(defaulted!, new Uint8Array([ctx.mem.u16(sd! + SD.Control) & SE_OWNER_DEFAULTED ? 1 : 0]));
      return NTSTATUS.SUCCESS;
    },
    true,
  ),
  nt(
    'NTSTATUS RtlGetGroupSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor, OUT PSID *Group, OUT PBOOLEAN GroupDefaulted)',
    (ctx, [sd, group, defaulted]) => {
      ctx.mem.setPtr(group!, field(ctx, sd!, 'Group'));
      ctx.mem.write(defaulted!, new Uint8Array([ctx.mem.u16(sd! + SD.Control) & SE_GROUP_DEFAULTED ? 1 : 0]));
      return NTSTATUS.SUCCESS;
    },
    true,
  ),
  nt(
    'NTSTATUS RtlAbsoluteToSelfRelativeSD(PSECURITY_DESCRIPTOR AbsoluteSecurityDescriptor, OUT PSECURITY_DESCRIPTOR SelfRelativeSecurityDescriptor, IN OUT PULONG BufferLength)',
    (ctx, [sd, out, lengthPtr]) => {
      if (ctx.mem.u16(sd! + SD.Control) & SE_SELF_RELATIVE) return 0xc0000086; // STATUS_BAD_DESCRIPTOR_FORMAT
      const need = sdLength(ctx, sd!);
      const have = ctx.mem.u32(lengthPtr!);
      ctx.mem.setU32(lengthPtr!, need);
      if (have < need) return NTSTATUS.BUFFER_TOO_SMALL;
      makeSelfRelative(ctx, sd!, out!);
      return NTSTATUS.SUCCESS;
    },
    true,
  ),
  nt(
    'NTSTATUS SeCaptureSecurityDescriptor(PSECURITY_DESCRIPTOR InputSecurityDescriptor, KPROCESSOR_MODE RequestorMode, POOL_TYPE PoolType, BOOLEAN CaptureIfKernel, OUT PSECURITY_DESCRIPTOR *OutputSecurityDescriptor)',
    (ctx, [sd, , poolType, , out]) => {
      if (!sd) {
        ctx.mem.setPtr(out!, 0);
        return NTSTATUS.SUCCESS;
      }
      if (ctx.mem.u8(sd) !== 1) return STATUS_UNKNOWN_REVISION;
      const copy = ctx.pool.allocate(sdLength(ctx, sd), poolType!, 'SeSd', 'driver');
      if (copy === null) return NTSTATUS.INSUFFICIENT_RESOURCES;
      makeSelfRelative(ctx, sd, copy);
      ctx.mem.setPtr(out!, copy);
      return NTSTATUS.SUCCESS;
    },
  ),
  nt(
    'VOID SeReleaseSecurityDescriptor(PSECURITY_DESCRIPTOR CapturedSecurityDescriptor, KPROCESSOR_MODE RequestorMode, BOOLEAN CaptureIfKernelMode)',
    (ctx, [sd]) => {
      if (sd) ctx.pool.free(sd);
      return undefined;
    },
  ),
  nt('BOOLEAN SeSinglePrivilegeCheck(LUID PrivilegeValue, KPROCESSOR_MODE PreviousMode)', () => 1), // model: the System thread has every privilege
  nt(
    'BOOLEAN SeAccessCheck(PSECURITY_DESCRIPTOR SecurityDescriptor, PSECURITY_SUBJECT_CONTEXT SubjectSecurityContext, BOOLEAN SubjectContextLocked, ACCESS_MASK DesiredAccess, ACCESS_MASK PreviouslyGrantedAccess, OUT PPRIVILEGE_SET *Privileges, PGENERIC_MAPPING GenericMapping, KPROCESSOR_MODE AccessMode, OUT PACCESS_MASK GrantedAccess, OUT PNTSTATUS AccessStatus)',
    (ctx, [, , , desired, previous, privileges, , , granted, status]) => {
      if (privileges) ctx.mem.setPtr(privileges, 0);
      ctx.mem.setU32(granted!, desired! | previous!);
      ctx.mem.setU32(status!, NTSTATUS.SUCCESS);
      return 1; // model: kernel-mode callers in the System process are granted
    },
  ),
  nt('VOID SeCaptureSubjectContext(OUT PSECURITY_SUBJECT_CONTEXT SubjectContext)', (ctx, [s]) => {
    ctx.mem.write(s!, new Uint8Array(16));
    return undefined;
  }),
  nt('VOID SeReleaseSubjectContext(PSECURITY_SUBJECT_CONTEXT SubjectContext)', () => undefined),
  nt(
    'NTSTATUS ZwSetSecurityObject(HANDLE Handle, SECURITY_INFORMATION SecurityInformation, PSECURITY_DESCRIPTOR SecurityDescriptor)',
    (ctx, [h]) => (ctx.ob.get(h!) ? NTSTATUS.SUCCESS : NTSTATUS.INVALID_HANDLE),
  ),
  nt(
    'NTSTATUS ObOpenObjectByPointer(PVOID Object, ULONG HandleAttributes, PACCESS_STATE PassedAccessState, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode, OUT PHANDLE Handle)',
    (ctx, [object, , , , , , out]) => {
      let o = ctx.ob.byAddress(object!);
      // A kernel object nt351 did not make (a device object): give it a handle as a file-like object.
      if (!o) o = ctx.ob.create('file', { path: `\\Object\\${object!.toString(16)}` });
      ctx.mem.setUlongPtr(out!, ctx.ob.open(o));
      return NTSTATUS.SUCCESS;
    },
  ),
];
