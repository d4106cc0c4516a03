// The Service Control Manager at boot: starts the EventLog service, reports boot- and system-start
// drivers that failed (7026), then auto-start services in ServiceGroupOrder with their dependencies.
// Win32 services are modelled by what they do that the kernel can see (load a driver with
// NtLoadDriver, open a device); their errors flow through NT's status → Win32 error mapping into the
// SCM's events, so Event 7023's text is derived, never typed in (nt351-facts.md "Messages", model).
import { compareText } from '../input/index.js';
import { ntStatusToDosError } from '../loader/messages.js';
import { type SystemLog, statusData } from './system-log.js';

/** What the SCM needs to know of a service key. */
export interface ScmService {
  name: string;
  type: number;
  start: number;
  errorControl: number;
  group: string | null;
  dependOnService: string[];
  dependOnGroup: string[];
  displayName: string | null;
  /** Model: the driver service a Win32 service loads with NtLoadDriver. */
  driver: string | null;
  /** Model: the device a Win32 service opens after loading its driver. */
  device: string | null;
}

export type ServiceStateName = 'running' | 'stopped' | 'not-started' | 'disabled';

export interface ServiceState {
  name: string;
  displayName: string;
  kind: 'driver' | 'win32';
  start: number;
  state: ServiceStateName;
  /** Win32 exit code when the service stopped or failed to start (0 otherwise). */
  win32ExitCode: number;
  /** The NTSTATUS behind it, when one caused it. */
  status: number | null;
  startedBy: 'boot-loader' | 'io-manager' | 'scm' | 'service' | null;
}

/** The kernel's side, as the SCM and services reach it through system calls. */
export interface ScmHost {
  /** NtLoadDriver(\Registry\Machine\System\CurrentControlSet\Services\<service>): an NTSTATUS. */
  loadDriver(service: string): number;
  /** NtOpenFile on a device object: an NTSTATUS. */
  openDevice(path: string): number;
  log: SystemLog;
  /** A step for the boot's timeline. */
  note(step: string, detail: string): void;
}

/**
 * Events a service logs itself, by service: Server's NELOG when srv.sys does not load
 * (netevent.mc, EVENT_SRV_CANT_LOAD_DRIVER). Other services log nothing of their own here (model).
 */
const DRIVER_LOAD_FAILED_EVENT: Readonly<Record<string, { source: string; id: number }>> = {
  lanmanserver: { source: 'Server', id: 2508 },
};

/**
 * NT 3.51's HKLM\SYSTEM\CurrentControlSet\Control\ServiceGroupOrder\List. Model: NT 4's list
 * (a public registry dump), with the groups the fixtures use placed where NT 4 has them.
 */
export const SERVICE_GROUP_ORDER: readonly string[] = Object.freeze([
  'SCSI miniport',
  'port',
  'Primary disk',
  'SCSI class',
  'SCSI CDROM class',
  'filter',
  'boot file system',
  'Base',
  'Pointer Port',
  'Keyboard Port',
  'Pointer Class',
  'Keyboard Class',
  'Video Init',
  'Video',
  'Video Save',
  'file system',
  'Event log',
  'Streams Drivers',
  'NDIS Wrapper',
  'NDIS',
  'TDI',
  'NetBIOSGroup',
  'SpoolerGroup',
  'NetDDEGroup',
  'Parallel arbitrator',
  'extended base',
  'RemoteValidation',
  'PCI Configuration',
  'Network',
  'NetworkProvider',
]);

/** A load order from the registry: ServiceGroupOrder\List and GroupOrderList (group → tags). */
export interface LoadOrder {
  groups: readonly string[] | null;
  tags: ReadonlyMap<string, readonly number[]>;
}

/** Each group's first position in `groups`, by lower-case name; kept per array (a boot sorts 3 times). */
const ranksOf = new WeakMap<readonly string[], ReadonlyMap<string, number>>();
function groupRanks(groups: readonly string[]): ReadonlyMap<string, number> {
  // Kept only for frozen arrays (the built-in list), whose contents cannot change under the key.
  const hit = ranksOf.get(groups);
  if (hit) return hit;
  const ranks = new Map<string, number>();
  groups.forEach((g, i) => {
    if (!ranks.has(g.toLowerCase())) ranks.set(g.toLowerCase(), i);
  });
  if (Object.isFrozen(groups)) ranksOf.set(groups, ranks);
  return ranks;
}

/**
 * Load order within a start type: by ServiceGroupOrder position (groups not in the list, and no
 * group, come last), inside a group by the position of the key's Tag in GroupOrderList\<group>
 * (tagged keys first), then by key name as the registry enumerates subkeys (case-insensitive).
 * Without `order` the built-in list applies.
 */
export function inGroupOrder<T extends { name: string; group: string | null; tag?: number | null }>(
  items: readonly T[],
  order?: LoadOrder,
): T[] {
  const groups = order?.groups ?? SERVICE_GROUP_ORDER;
  // Each item's keys are computed once, not per comparison (a sort compares n log n times).
  const ranks = groupRanks(groups);
  const keyed = items.map((x) => {
    const group = x.group === null ? null : x.group.toLowerCase();
    const tags = group === null ? undefined : order?.tags.get(group);
    const tag = tags && x.tag !== undefined && x.tag !== null ? tags.indexOf(x.tag) : -1;
    return {
      x,
      rank: (group === null ? undefined : ranks.get(group)) ?? groups.length,
      tag: tag < 0 ? Number.MAX_SAFE_INTEGER : tag,
      name: x.name.toLowerCase(),
    };
  });
  keyed.sort((a, b) => a.rank - b.rank || a.tag - b.tag || compareText(a.name, b.name));
  return keyed.map((k) => k.x);
}

const isDriver = (s: ScmService) => s.type === 1 || s.type === 2;
/** The key name NT uses when a service has no DisplayName. */
const display = (s: ScmService) => s.displayName ?? s.name;
/** Model: the EventLog service, present on every NT system; added when the image set omits it. */
const EVENTLOG: ScmService = {
  name: 'EventLog',
  type: 0x20,
  start: 2,
  errorControl: 1,
  group: 'Event log',
  dependOnService: [],
  dependOnGroup: [],
  displayName: 'EventLog',
  driver: null,
  device: null,
};

/** The state record of `s` in `states`, made (not started, or disabled) the first time it is asked for. */
export function serviceState(states: Map<string, ServiceState>, s: ScmService): ServiceState {
  let st = states.get(s.name.toLowerCase());
  if (!st) {
    st = {
      name: s.name,
      displayName: display(s),
      kind: isDriver(s) ? 'driver' : 'win32',
      start: s.start,
      state: s.start === 4 ? 'disabled' : 'not-started',
      win32ExitCode: 0,
      status: null,
      startedBy: null,
    };
    states.set(s.name.toLowerCase(), st);
  }
  return st;
}

/**
 * Runs the SCM's start-up. `states` holds every service key's state as the boot left it (drivers
 * loaded by the boot loader and the I/O manager are `running`); it is updated and returned in key
 * order. `failedBootDrivers` are boot- and system-start drivers that failed with ErrorControl ≥ 1.
 * Long because the SCM's start-up is one sequence over shared state (EventLog, dependencies, drivers,
 * Win32 services, events) whose inner steps close over the same maps.
 */
export function runServiceControlManager(
  services: readonly ScmService[],
  states: Map<string, ServiceState>,
  failedBootDrivers: string[],
  host: ScmHost,
  order?: LoadOrder,
): ServiceState[] {
  const all = services.some((s) => s.name.toLowerCase() === 'eventlog')
    ? [...services]
    : [EVENTLOG, ...services];
  const byName = new Map(all.map((s) => [s.name.toLowerCase(), s]));
  const stateOf = (s: ScmService): ServiceState => serviceState(states, s);
  for (const s of all) stateOf(s);

  // The EventLog service starts first (its group leads the auto-start order) and logs 6005.
  const eventLog = byName.get('eventlog')!;
  stateOf(eventLog).state = 'running';
  stateOf(eventLog).startedBy = 'scm';
  host.log.add('EventLog', 6005);
  host.note('scm', 'EventLog service started');
  if (failedBootDrivers.length > 0)
    host.log.add('Service Control Manager', 7026, [failedBootDrivers.join('\r\n')]);

  const starting = new Set<string>();
  /** Starts `s` (and the services it depends on); returns its state. */
  const start = (s: ScmService): ServiceState => {
    const st = stateOf(s);
    if (st.state !== 'not-started' || starting.has(s.name.toLowerCase())) return st;
    starting.add(s.name.toLowerCase());
    for (const dep of s.dependOnService) {
      const d = byName.get(dep.toLowerCase());
      if (!d) {
        host.log.add('Service Control Manager', 7003, [display(s), dep]);
        return fail(st, 1075, null);
      }
      const ds = start(d);
      if (ds.state !== 'running') {
        host.log.add('Service Control Manager', 7001, [
          display(s),
          display(d),
          `%%${ds.win32ExitCode || 1068}`,
        ]);
        return fail(st, 1068, null);
      }
    }
    for (const group of s.dependOnGroup) {
      const members = all.filter((m) => m.group?.toLowerCase() === group.toLowerCase());
      if (!members.some((m) => stateOf(m).state === 'running')) {
        host.log.add('Service Control Manager', 7002, [display(s), group]);
        return fail(st, 1068, null);
      }
    }
    if (isDriver(s)) {
      const status = host.loadDriver(s.name);
      if ((status | 0) < 0) {
        host.log.add('Service Control Manager', 7000, [display(s), `%%${ntStatusToDosError(status)}`]);
        return fail(st, ntStatusToDosError(status), status);
      }
      return st; // loadDriver marked it running
    }
    return runWin32Service(s, st);
  };
  const fail = (st: ServiceState, code: number, status: number | null): ServiceState => {
    st.state = 'stopped';
    st.win32ExitCode = code;
    st.status = status;
    return st;
  };
  /** The service's own start-up (model: what it does that the kernel sees), then the SCM's verdict. */
  const runWin32Service = (s: ScmService, st: ServiceState): ServiceState => {
    st.state = 'running';
    st.startedBy = 'scm';
    host.note('scm', `${display(s)} service starting`);
    if (s.driver) {
      const status = host.loadDriver(s.driver);
      const ev = DRIVER_LOAD_FAILED_EVENT[s.name.toLowerCase()];
      if ((status | 0) < 0 && ev) host.log.add(ev.source, ev.id, [], statusData(status));
    }
    if (s.device) {
      const status = host.openDevice(s.device);
      if ((status | 0) < 0) {
        const code = ntStatusToDosError(status);
        host.note(
          'scm',
          `${display(s)} service could not open ${s.device}; it stops with Win32 error ${code}`,
        );
        fail(st, code, status);
        host.log.add('Service Control Manager', 7023, [display(s), `%%${code}`]);
        return st;
      }
    }
    return st;
  };

  for (const s of inGroupOrder(
    all.filter((x) => x.start === 2),
    order,
  ))
    start(s);
  return all.map(stateOf);
}
