// Object manager exports (ntoskrnl!Ob*): references to objects by handle and by pointer, over the
// kernel's handle table (src/kernel/handles.ts).
import type { KernelContext } from '../../context.js';
import { defineExport } from '../../registry.js';
import { NTSTATUS } from '../status.js';

/** REFERENCE_BY_POINTER (bugcodes.h): an object's pointer count went below zero. */
const REFERENCE_BY_POINTER = 0x18;

/** ObjectType NULL accepts any type. Model: access is always granted. */
export const ObReferenceObjectByHandle = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode, PVOID *Object, POBJECT_HANDLE_INFORMATION HandleInformation)',
  impl(ctx, [handle, access, type, , out, info]) {
    const object = ctx.ob.get(handle!);
    if (!object) return NTSTATUS.INVALID_HANDLE;
    if (type && ctx.ob.kindOfType(type) !== object.kind) return NTSTATUS.OBJECT_TYPE_MISMATCH;
    object.references++;
    ctx.mem.setPtr(out!, object.body);
    if (info) {
      ctx.mem.setU32(info!, 0); // HandleAttributes
      ctx.mem.setU32(info! + 4, access!); // GrantedAccess
    }
    return NTSTATUS.SUCCESS;
  },
});

export const ObReferenceObjectByPointer = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode)',
  impl(ctx, [body, , type]) {
    const object = ctx.ob.byAddress(body!);
    if (!object) return referenceBug(ctx, body!);
    if (type && ctx.ob.kindOfType(type) !== object.kind) return NTSTATUS.OBJECT_TYPE_MISMATCH;
    object.references++;
    return NTSTATUS.SUCCESS;
  },
});

/** Not an object nt351 made (NT would read a garbage OBJECT_HEADER): reported as NT's bugcheck. */
function referenceBug(ctx: KernelContext, body: number): undefined {
  ctx.log.add({
    type: 'bugcheck',
    code: REFERENCE_BY_POINTER,
    parameters: [0, body, 0, 0],
    caller: ctx.caller,
  });
  ctx.stop('bugcheck 0x18');
  return undefined;
}

/** A count below zero is REFERENCE_BY_POINTER (0x18). */
export const ObDereferenceObject = defineExport({
  module: 'ntoskrnl',
  prototype: 'VOID ObDereferenceObject(PVOID Object)',
  impl(ctx, [body]) {
    const object = ctx.ob.byAddress(body!);
    if (!object || object.references <= 0) return referenceBug(ctx, body!);
    object.references--;
    return undefined;
  },
});

/** Returns the new count (NT 4 and later). */
export const ObfDereferenceObject = defineExport({
  ...ObDereferenceObject,
  prototype: 'LONG_PTR FASTCALL ObfDereferenceObject(PVOID Object)',
  impl(ctx, [body]) {
    const object = ctx.ob.byAddress(body!);
    if (!object || object.references <= 0) return referenceBug(ctx, body!);
    return --object.references;
  },
});

/** (NT 4 and later) ObReferenceObject's exported form; returns the new count. */
export const ObfReferenceObject = defineExport({
  module: 'ntoskrnl',
  prototype: 'LONG_PTR FASTCALL ObfReferenceObject(PVOID Object)',
  impl(ctx, [body]) {
    const object = ctx.ob.byAddress(body!);
    if (!object) return referenceBug(ctx, body!);
    return ++object.references;
  },
});

export const obExports = [
  ObfReferenceObject,
  ObReferenceObjectByHandle,
  ObReferenceObjectByPointer,
  ObDereferenceObject,
  ObfDereferenceObject,
];
