// IRP processing as the I/O manager does it: passing an IRP down to a driver (IoCallDriver) and
// completing it back up the stack locations, calling the completion routines drivers registered
// (IoCompleteRequest). Completion routines are guest code, called through the kernel's guest calls.
import type { KernelContext } from './context.js';
import { NTSTATUS } from './exports/status.js';
import type { GuestMemory } from './guest.js';
import { IO_TYPE_IRP, SL } from './objects.js';
import { guestCall, type HandlerResult, tailCall } from './registry.js';

/**
 * The device at the top of `device`'s stack (IoGetAttachedDevice): AttachedDevice followed up, at
 * most 64 devices (the chain is guest data: a loop ends there instead of hanging the host).
 */
export function attachedTop(mem: GuestMemory, device: number): number {
  let top = device;
  for (let guard = 0; guard < 64; guard++) {
    const above = mem.ptr(top + mem.layouts.DEVICE_OBJECT.AttachedDevice);
    if (above === 0) break;
    top = above;
  }
  return top;
}

/** Bugcheck codes (bugcodes.h). */
const NO_MORE_IRP_STACK_LOCATIONS = 0x35;
const MULTIPLE_IRP_COMPLETE_REQUESTS = 0x44;

function bugcheck(ctx: KernelContext, code: number, parameters: number[]): undefined {
  ctx.log.add({ type: 'bugcheck', code, parameters, caller: ctx.caller });
  ctx.stop(`bugcheck 0x${code.toString(16).toUpperCase()}`);
  return undefined;
}

/**
 * IoCallDriver: moves the IRP to its next stack location (CurrentLocation - 1), records the target
 * device there and transfers to the device's driver's MajorFunction[mj]. NT bugchecks with
 * NO_MORE_IRP_STACK_LOCATIONS when the IRP has no location left. A NULL dispatch entry (where NT has
 * IopInvalidDeviceRequest, see io-manager.ts) completes the IRP with STATUS_INVALID_DEVICE_REQUEST.
 */
export function callDriver(ctx: KernelContext, device: number, irp: number): HandlerResult {
  const { mem } = ctx;
  const { IRP, IO_STACK_LOCATION, DEVICE_OBJECT, DRIVER_OBJECT, pointerSize } = mem.layouts;
  const location = mem.u8(irp + IRP.CurrentLocation) - 1;
  if (location <= 0) return bugcheck(ctx, NO_MORE_IRP_STACK_LOCATIONS, [irp, 0, 0, 0]);
  mem.write(irp + IRP.CurrentLocation, new Uint8Array([location]));
  const stack = (mem.ptr(irp + IRP.CurrentStackLocation) - IO_STACK_LOCATION.size) >>> 0;
  mem.setPtr(irp + IRP.CurrentStackLocation, stack);
  mem.setPtr(stack + IO_STACK_LOCATION.DeviceObject, device);
  const mj = mem.u8(stack + IO_STACK_LOCATION.MajorFunction);
  const driver = mem.ptr(device + DEVICE_OBJECT.DriverObject, 'DEVICE_OBJECT.DriverObject');
  const routine = mem.ptr(
    driver + DRIVER_OBJECT.MajorFunction + pointerSize * mj,
    'DRIVER_OBJECT.MajorFunction',
  );
  if (routine !== 0) return tailCall(routine, [device, irp]);
  mem.setU32(irp + IRP.IoStatusStatus, NTSTATUS.INVALID_DEVICE_REQUEST);
  mem.setUlongPtr(irp + IRP.IoStatusInformation, 0);
  return completeRequest(ctx, irp, () => NTSTATUS.INVALID_DEVICE_REQUEST);
}

/**
 * IoCompleteRequest (NT 4 IopfCompleteRequest): walks the stack locations from the current one
 * upwards; for each, calls its CompletionRoutine(DeviceObject of the location above, Irp, Context)
 * when Control asks for it given IoStatus.Status (SL_INVOKE_ON_SUCCESS/ERROR) or Irp->Cancel
 * (SL_INVOKE_ON_CANCEL), and stops when one returns STATUS_MORE_PROCESSING_REQUIRED (the driver then
 * owns the IRP again). Completing an IRP already completed is NT's MULTIPLE_IRP_COMPLETE_REQUESTS
 * (0x44) bugcheck. `done` gives the handler's return value once the walk ends. An IRP a driver
 * built with IoBuild*Request then gets the final stage (finishRequest); the I/O manager's own
 * requests (the sandbox's and the boot's) stay readable for the report.
 */
export function completeRequest(
  ctx: KernelContext,
  irp: number,
  done: () => number | undefined = () => undefined,
): HandlerResult {
  const { mem } = ctx;
  const { IRP, IO_STACK_LOCATION } = mem.layouts;
  const SL_SIZE = IO_STACK_LOCATION.size;
  const stackCount = mem.u8(irp + IRP.StackCount);
  if (mem.u8(irp + IRP.CurrentLocation) > stackCount + 1 || mem.u16(irp + IRP.Type) !== IO_TYPE_IRP)
    return bugcheck(ctx, MULTIPLE_IRP_COMPLETE_REQUESTS, [irp, 0, 0, 0]);
  // As NT's loop: CurrentLocation and CurrentStackLocation move up one before a location is
  // processed, so during a completion routine the location above (the registering driver's) is
  // current, and a fully completed IRP ends with CurrentLocation = StackCount + 2.
  const advance = () => {
    mem.write(irp + IRP.CurrentLocation, new Uint8Array([mem.u8(irp + IRP.CurrentLocation) + 1]));
    mem.setPtr(irp + IRP.CurrentStackLocation, mem.ptr(irp + IRP.CurrentStackLocation) + SL_SIZE);
  };
  const loop = (): HandlerResult => {
    for (; mem.u8(irp + IRP.CurrentLocation) <= stackCount + 1; advance()) {
      const current = mem.ptr(irp + IRP.CurrentStackLocation);
      const stack = current - SL_SIZE;
      const top = mem.u8(irp + IRP.CurrentLocation) === stackCount + 1;
      const control = mem.u8(stack + IO_STACK_LOCATION.Control);
      const pending = control & SL.PENDING_RETURNED;
      mem.write(irp + IRP.PendingReturned, new Uint8Array([pending]));
      const status = mem.u32(irp + IRP.IoStatusStatus) | 0;
      const invoke =
        (status >= 0 && control & SL.INVOKE_ON_SUCCESS) ||
        (status < 0 && control & SL.INVOKE_ON_ERROR) ||
        (mem.u8(irp + IRP.Cancel) && control & SL.INVOKE_ON_CANCEL);
      const routine = mem.ptr(stack + IO_STACK_LOCATION.CompletionRoutine);
      const context = mem.ptr(stack + IO_STACK_LOCATION.Context);
      zeroStackLocation(ctx, stack);
      if (invoke && routine) {
        const device = top ? 0 : mem.ptr(current + IO_STACK_LOCATION.DeviceObject);
        const event = {
          type: 'completion-routine' as const,
          routine,
          irp,
          device,
          context,
          result: null as number | null,
        };
        ctx.log.add(event);
        return guestCall(routine, [device, irp, context], (result) => {
          event.result = result >>> 0;
          if (result >>> 0 === NTSTATUS.MORE_PROCESSING_REQUIRED) return done();
          advance();
          return loop();
        });
      }
      // IoMarkIrpPending on the caller's behalf, as NT does when a lower driver returned pending.
      if (pending && !top) {
        const above = current + IO_STACK_LOCATION.Control;
        mem.write(above, new Uint8Array([mem.u8(above) | SL.PENDING_RETURNED]));
      }
    }
    finishRequest(ctx, irp);
    return done();
  };
  advance();
  return loop();
}

/**
 * NT's ZeroIrpStackLocation once a location is done with: MinorFunction, Flags, Control, the four
 * Parameters words and FileObject (CompletionRoutine and Context are left as they were).
 */
function zeroStackLocation(ctx: KernelContext, stack: number): void {
  const { IO_STACK_LOCATION: S } = ctx.mem.layouts;
  ctx.mem.write(stack + S.MinorFunction, new Uint8Array(S.DeviceObject - S.MinorFunction));
  ctx.mem.setPtr(stack + S.FileObject, 0);
}

/** IRP.Flags bits (wdm.h). */
export const IRP_FLAG = { BUFFERED_IO: 0x10, DEALLOCATE_BUFFER: 0x20, INPUT_OPERATION: 0x40 } as const;

/**
 * The final stage of completion (ReactOS IopCompleteRequest, run there as a kernel APC in the
 * requesting thread) for an IRP with a requesting thread and a UserIosb or UserEvent, as
 * IoBuildDeviceIoControlRequest and IoBuildSynchronousFsdRequest make them: buffered output is
 * copied to UserBuffer (IRP_INPUT_OPERATION, not on an error), the system buffer and the MDL chain are
 * freed, IoStatus goes to *UserIosb, UserEvent is signalled, and the IRP is freed. On an error the
 * IO_STATUS_BLOCK is written only when there is an event, as there. Model: it runs at once, not when
 * the thread next drops below APC_LEVEL.
 */
function finishRequest(ctx: KernelContext, irp: number): void {
  const { mem } = ctx;
  const { IRP, MDL } = mem.layouts;
  const iosb = mem.ptr(irp + IRP.UserIosb);
  const event = mem.ptr(irp + IRP.UserEvent);
  if (mem.ptr(irp + IRP.Thread) === 0 || (iosb === 0 && event === 0)) return;
  const flags = mem.u32(irp + IRP.Flags);
  const status = mem.u32(irp + IRP.IoStatusStatus) | 0;
  const information = mem.ptr(irp + IRP.IoStatusInformation);
  const error = status >>> 30 === 3;
  const system = mem.ptr(irp + IRP.SystemBuffer);
  if (flags & IRP_FLAG.BUFFERED_IO && system) {
    const user = mem.ptr(irp + IRP.UserBuffer);
    if (flags & IRP_FLAG.INPUT_OPERATION && !error && user && information)
      mem.write(user, mem.bytes(system, information, 'IRP.AssociatedIrp.SystemBuffer'));
    if (flags & IRP_FLAG.DEALLOCATE_BUFFER) ctx.pool.free(system);
  }
  for (let mdl = mem.ptr(irp + IRP.MdlAddress), guard = 0; mdl !== 0 && guard < 64; guard++) {
    const next = mem.ptr(mdl + MDL.Next);
    ctx.pool.free(mdl);
    mdl = next;
  }
  if (iosb !== 0 && (!error || event !== 0)) {
    mem.setUlongPtr(iosb, status >>> 0);
    mem.setUlongPtr(iosb + mem.pointerSize, information);
  }
  if (event !== 0) mem.setU32(event + mem.layouts.KEVENT.SignalState, 1);
  ctx.pool.free(irp);
}
