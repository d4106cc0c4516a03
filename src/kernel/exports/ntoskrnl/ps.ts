// Process structure exports (ntoskrnl!Ps*, IoGetCurrentProcess): the System process all driver code
// runs in (model), system threads (run cooperatively, src/kernel/scheduler.ts), and the version query
// NT 3.51 did not have.
import { defineExport } from '../../registry.js';
import { NTSTATUS } from '../status.js';
import { currentThread, exitThread, threadRoutines } from './ke-dispatcher.js';

const STATUS_INSUFFICIENT_RESOURCES = 0xc000009a;

/** The System process (model: drivers run in no other). */
export const PsGetCurrentProcess = defineExport({
  module: 'ntoskrnl',
  prototype: 'PEPROCESS PsGetCurrentProcess(VOID)',
  impl: (ctx) => ctx.ob.systemContext().process.body,
});

export const IoGetCurrentProcess = defineExport({
  ...PsGetCurrentProcess,
  prototype: 'PEPROCESS IoGetCurrentProcess(VOID)',
});

/** The running thread (the System thread, or a system thread), also at KPRCB.CurrentThread. */
export const PsGetCurrentThread = defineExport({
  module: 'ntoskrnl',
  prototype: 'PETHREAD PsGetCurrentThread(VOID)',
  impl: (ctx) => currentThread(ctx),
});

/**
 * Makes the thread object and its handle (a `system-thread` event) and a ready thread that runs
 * StartRoutine(StartContext) on its own stack when the running thread waits, delays or ends, or when
 * the entry point the host called returns (src/kernel/scheduler.ts). Model: at most 16 live system
 * threads (their stacks); beyond, STATUS_INSUFFICIENT_RESOURCES. Without a kernel to run it (no
 * scheduler), the thread is only recorded.
 */
export const PsCreateSystemThread = defineExport({
  module: 'ntoskrnl',
  prototype:
    'NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle, PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine, PVOID StartContext)',
  impl(ctx, [out, , , , clientId, startRoutine, startContext]) {
    const threads = ctx.threads && ctx.hostRoutine ? ctx.threads : null;
    if (threads && !threads.hasRoom()) return STATUS_INSUFFICIENT_RESOURCES;
    if (threads) threads.exitRoutine = threadRoutines(ctx).exit;
    const thread = ctx.ob.create('thread', { startRoutine: startRoutine!, startContext: startContext! });
    threads?.create(thread.body, startRoutine!, startContext!);
    const handle = ctx.ob.open(thread);
    ctx.mem.setUlongPtr(out!, handle); // HANDLE: pointer-wide
    if (clientId) {
      // CLIENT_ID { HANDLE UniqueProcess; HANDLE UniqueThread; }
      ctx.mem.setUlongPtr(clientId!, 4); // the System process's id in NT 3.51 (2 in NT 4)
      ctx.mem.setUlongPtr(clientId! + ctx.mem.pointerSize, thread.body & 0xffff); // (model)
    }
    ctx.log.add({
      type: 'system-thread',
      startRoutine: startRoutine!,
      startContext: startContext!,
      handle,
      caller: ctx.caller,
      thread: thread.body,
    });
    return NTSTATUS.SUCCESS;
  },
});

/**
 * Ends the calling system thread (it does not return: the next thread runs). NT answers
 * STATUS_INVALID_PARAMETER when the caller is not a system thread (the thread running DriverEntry or
 * a dispatch routine).
 */
export const PsTerminateSystemThread = defineExport({
  module: 'ntoskrnl',
  prototype: 'NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus)',
  impl: (ctx, [status]) =>
    ctx.threads && ctx.threads.current.id !== 0
      ? exitThread(ctx, status!, 'terminated')
      : NTSTATUS.INVALID_PARAMETER,
});

/**
 * (NT 4 and later: NT 3.51 kernels do not export it, so a driver importing it fails to load on
 * them.) Returns TRUE for a checked build; we answer FALSE (free).
 */
export const PsGetVersion = defineExport({
  module: 'ntoskrnl',
  prototype:
    'BOOLEAN PsGetVersion(PULONG MajorVersion, PULONG MinorVersion, PULONG BuildNumber, OUT PUNICODE_STRING CSDVersion)',
  impl(ctx, [major, minor, build, csd]) {
    if (major) ctx.mem.setU32(major!, ctx.version.major);
    if (minor) ctx.mem.setU32(minor!, ctx.version.minor);
    if (build) ctx.mem.setU32(build!, ctx.version.build);
    if (csd) ctx.mem.setU16(csd!, 0); // no service pack string (Length 0)
    return 0;
  },
});

/**
 * (Windows XP and later) A process's id: the System process, the only one here, answers 4 (the id
 * PsCreateSystemThread gives it in CLIENT_ID); anything else is not a process nt351 made (NULL).
 */
export const PsGetProcessId = defineExport({
  module: 'ntoskrnl',
  prototype: 'HANDLE PsGetProcessId(PEPROCESS Process)',
  impl: (ctx, [process]) => (process === ctx.ob.systemContext().process.body ? 4 : 0),
});

/**
 * The process that sent an IRP: its thread's process (IRP.Tail.Overlay.Thread); NULL when the IRP
 * carries no thread (NT 5.1 and later check for this).
 */
export const IoGetRequestorProcess = defineExport({
  module: 'ntoskrnl',
  prototype: 'PEPROCESS IoGetRequestorProcess(PIRP Irp)',
  impl(ctx, [irp]) {
    const thread = ctx.mem.ptr(irp! + ctx.mem.layouts.IRP.Thread);
    if (!thread) return 0;
    const system = ctx.ob.systemContext();
    return thread === system.thread.body ? system.process.body : 0;
  },
});

export const psExports = [
  PsGetProcessId,
  IoGetRequestorProcess,
  PsGetCurrentProcess,
  IoGetCurrentProcess,
  PsGetCurrentThread,
  PsCreateSystemThread,
  PsTerminateSystemThread,
  PsGetVersion,
];
