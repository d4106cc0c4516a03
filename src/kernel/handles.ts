// The object manager's state for handles: kernel objects (processes, threads, files, registry keys)
// with bodies in guest memory, reference counts, and the handle table Zw*/Ob* routines use.
// Model: one handle table (the System process's), handles 4, 8, 12 … never reused.
import type { GuestMemory } from './guest.js';
import type { Pool } from './pool.js';

/** Object types nt351 models; each has a type object in guest memory (what PsThreadType points at). */
export type ObjectKind = 'process' | 'thread' | 'file' | 'key';

export interface KernelObject {
  kind: ObjectKind;
  /** The object body in guest memory (what ObReferenceObjectByHandle returns). */
  body: number;
  /** Pointer count (ObReferenceObject* +1, ObDereferenceObject -1; each handle holds one). */
  references: number;
  /** Files: the NT path, the bytes and the read position. Keys: the key's path. Threads: start routine. */
  path?: string;
  data?: Uint8Array;
  position?: number;
  startRoutine?: number;
  startContext?: number;
}

/** NtCurrentProcess() and NtCurrentThread() pseudo-handles. */
export const CURRENT_PROCESS = 0xffffffff;
export const CURRENT_THREAD = 0xfffffffe;

/** Bytes of each object body; DISPATCHER_HEADER.Type for processes (3) and threads (6). */
const BODY_SIZE = 0x200;
const DISPATCHER_TYPE: Partial<Record<ObjectKind, number>> = { process: 3, thread: 6 };

export class ObjectManager {
  private readonly handles = new Map<number, KernelObject>();
  private readonly byBody = new Map<number, KernelObject>();
  private nextHandle = 4;
  private readonly types = new Map<ObjectKind, number>();
  private system: { process: KernelObject; thread: KernelObject } | null = null;

  constructor(
    private readonly mem: GuestMemory,
    private readonly pool: Pool,
  ) {}

  /** A new object with a zeroed body (DISPATCHER_HEADER filled for processes and threads). */
  create(kind: ObjectKind, fields: Partial<KernelObject> = {}): KernelObject {
    const body = this.pool.allocate(BODY_SIZE, 0, 'ObBd', 'kernel')!;
    const type = DISPATCHER_TYPE[kind];
    if (type !== undefined) {
      this.mem.write(body, new Uint8Array([type, 0, BODY_SIZE / 4, 0]));
    }
    const object: KernelObject = { kind, body, references: 0, ...fields };
    this.byBody.set(body, object);
    return object;
  }

  /** Guest address of the type object for `kind` (made on first use). */
  typeObject(kind: ObjectKind): number {
    let t = this.types.get(kind);
    if (t === undefined) {
      t = this.pool.allocate(0x40, 0, 'ObTy', 'kernel')!;
      this.types.set(kind, t);
    }
    return t;
  }

  /** Which kind a type-object address stands for; undefined for anything else. */
  kindOfType(address: number): ObjectKind | undefined {
    for (const [kind, t] of this.types) if (t === address) return kind;
    return undefined;
  }

  /** The System process and its one thread: the context all driver code runs in (model). */
  systemContext(): { process: KernelObject; thread: KernelObject } {
    if (!this.system) {
      const process = this.create('process', { references: 1 });
      const thread = this.create('thread', { references: 1 });
      this.system = { process, thread };
    }
    return this.system;
  }

  /** Opens a handle to `object` (one more reference). */
  open(object: KernelObject): number {
    const handle = this.nextHandle;
    this.nextHandle += 4;
    object.references++;
    this.handles.set(handle, object);
    return handle;
  }

  /** The object behind a handle (pseudo-handles included), or undefined. */
  get(handle: number): KernelObject | undefined {
    if (handle === CURRENT_PROCESS) return this.systemContext().process;
    if (handle === CURRENT_THREAD) return this.systemContext().thread;
    return this.handles.get(handle);
  }

  /** Closes a handle; false when it is not open. */
  close(handle: number): boolean {
    const object = this.handles.get(handle);
    if (!object) return false;
    this.handles.delete(handle);
    object.references--;
    return true;
  }

  byAddress(body: number): KernelObject | undefined {
    return this.byBody.get(body);
  }

  /** Handles still open (for the report: handle leaks). */
  openHandles(): { handle: number; object: KernelObject }[] {
    return [...this.handles].map(([handle, object]) => ({ handle, object }));
  }
}
