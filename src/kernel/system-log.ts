// The System event log as the boot fills it: events by source and id, rendered from their message
// templates (netevent.mc, the SCM's and EventLog's messages) with %1-style inserts. The .evt file is
// written from these records by src/kernel/eventlog.
import { formatInserts, win32Message } from '../loader/messages.js';
import { type EventSeverity, type EvtRecord, fullEventId } from './eventlog/index.js';
import type { KernelEvent } from './events.js';

/** A driver's IoWriteErrorLogEntry packet, as the kernel reports it. */
export type IoErrorLogEntry = Extract<KernelEvent, { type: 'io-error-log' }>;

export type EventType = 'error' | 'warning' | 'information';

/** Message templates by source and id (nt351-facts.md "Messages"; NT 4 texts where marked model). */
/**
 * `severity` is what the source's message file declares (the EventID's top bits), which can differ
 * from the record's type: netevent.mc declares 6005 and 2508 Severity=Warning (netevent.h:
 * 0x80001775, 0x800009CC); the SCM's messages are Severity=Error (7023 is 0xC0001B6F).
 */
export const EVENT_MESSAGES: readonly {
  source: string;
  id: number;
  type: EventType;
  severity: EventSeverity;
  template: string;
}[] = [
  {
    source: 'EventLog',
    id: 6005,
    type: 'information',
    severity: 'warning',
    template: 'The Event log service was started.',
  }, // model: NT 4 text
  {
    source: 'Server',
    id: 2508,
    type: 'error',
    severity: 'warning',
    template: 'The server service was unable to load the server driver.',
  },
  {
    source: 'Service Control Manager',
    severity: 'error',
    id: 7000,
    type: 'error',
    template: 'The %1 service failed to start due to the following error: %n%2',
  },
  {
    source: 'Service Control Manager',
    severity: 'error',
    id: 7001,
    type: 'error',
    template:
      'The %1 service depends on the %2 service which failed to start because of the following error: %n%3',
  },
  {
    source: 'Service Control Manager',
    severity: 'error',
    id: 7002,
    type: 'error',
    template: 'The %1 service depends on the %2 group and no member of this group started.',
  },
  {
    source: 'Service Control Manager',
    severity: 'error',
    id: 7003,
    type: 'error',
    template: 'The %1 service depends on the following nonexistent service: %2',
  },
  {
    source: 'Service Control Manager',
    severity: 'error',
    id: 7023,
    type: 'error',
    template: 'The %1 service terminated with the following error: %n%2',
  },
  {
    source: 'Service Control Manager',
    severity: 'error',
    id: 7026,
    type: 'error',
    template: 'The following boot-start or system-start driver(s) failed to load: %n%1',
  },
];

export interface SystemEvent {
  log: 'System';
  recordNumber: number;
  id: number;
  source: string;
  type: EventType;
  /** The rendered message as Event Viewer shows it (NT's CRLFs kept). */
  message: string;
  /** The insertion strings stored in the record. */
  strings: string[];
  /** The full 32-bit EventID stored in the .evt record (severity bits from the message file). */
  eventId: number;
  /** The record's category (0 but for drivers' error-log packets, which carry their EventCategory). */
  category?: number;
  /** Binary data of the record (Event Viewer's "Data"), as hex; e.g. the NTSTATUS behind 2508. */
  data: string | null;
  /** ISO time; seconds since 1970 in `timeGenerated`. */
  time: string;
  timeGenerated: number;
  computer: string;
}

/** Model: the machine's clock (the CMOS date nt351 gives, 1996-09-19 12:00:00) plus a second per event. */
export const BOOT_TIME = Date.UTC(1996, 8, 19, 12, 0, 0) / 1000;

/** EVENT_MESSAGES by source, then id (the first entry wins, as a search from the start finds it). */
let messages: Map<string, Map<number, (typeof EVENT_MESSAGES)[number]>> | null = null;
function messageOf(source: string, id: number): (typeof EVENT_MESSAGES)[number] | undefined {
  if (!messages) {
    messages = new Map();
    for (const m of EVENT_MESSAGES) {
      let ids = messages.get(m.source);
      if (!ids) {
        ids = new Map();
        messages.set(m.source, ids);
      }
      if (!ids.has(m.id)) ids.set(m.id, m);
    }
  }
  return messages.get(source)?.get(id);
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
/**
 * `t` (whole seconds since 1970, UTC) as Date#toISOString writes it, without milliseconds: the
 * calendar date from the day number (Howard Hinnant's civil_from_days, exact for proleptic Gregorian
 * dates; years 1000-9999 print as toISOString's do). Date formatting cost more than the rest of
 * logging an event.
 */
export function isoSeconds(t: number): string {
  const days = Math.floor(t / 86400);
  const secs = t - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hh = Math.floor(secs / 3600);
  const mm = Math.floor((secs % 3600) / 60);
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(hh)}:${pad2(mm)}:${pad2(secs % 60)}Z`;
}

export class SystemLog {
  readonly events: SystemEvent[] = [];
  /** I/O error-log packets written before the EventLog service started (its event 6005). */
  private readonly queued: IoErrorLogEntry[] = [];
  private started = false;
  constructor(readonly computer = 'NT351') {}

  /**
   * A driver's error-log packet becomes a record once the EventLog service runs: the I/O manager keeps
   * packets written earlier (boot- and system-start drivers) and delivers them after the service's
   * start (ReactOS ntoskrnl/io/iomgr/error.c: IopLogWorker retries until the port is connected).
   */
  addIoError(e: IoErrorLogEntry): void {
    if (this.started) this.recordIoError(e);
    else this.queued.push(e);
  }

  /**
   * The record NT's EventLog service writes for a packet (ReactOS base/services/eventlog/eventlog.c,
   * ProcessPortMessage): EventID = ErrorCode, the type from its severity bits, the category from the
   * packet, source = the driver's name, strings = the device's (or driver's) name then the driver's
   * strings, data = the packet through DumpData. Event Viewer reads the description from the driver's
   * message file, which nt351 does not have: the text is Event Viewer's for a missing description
   * (model: NT 4's wording).
   */
  private recordIoError(e: IoErrorLogEntry): SystemEvent {
    const source = e.driver ?? 'Unknown';
    const severity = e.errorCode >>> 30;
    const type: EventType = severity === 3 ? 'error' : severity === 2 ? 'warning' : 'information';
    const strings = [e.device ?? (e.driver ? `\\Driver\\${e.driver}` : ''), ...e.strings];
    const id = e.errorCode & 0xffff;
    const t = BOOT_TIME + this.events.length + 1;
    const record: SystemEvent = {
      log: 'System',
      recordNumber: this.events.length + 1,
      id,
      source,
      type,
      message: `The description for Event ID ( ${id} ) in Source ( ${source} ) could not be found. It contains the following insertion string(s): ${strings.join(', ')}.`,
      strings,
      eventId: e.errorCode >>> 0,
      category: e.eventCategory,
      data: e.data,
      time: isoSeconds(t),
      timeGenerated: t,
      computer: this.computer,
    };
    this.events.push(record);
    return record;
  }

  /** Logs event `id` of `source` with insertion strings; throws for an event with no template (host bug). */
  add(source: string, id: number, strings: string[] = [], data: Uint8Array | null = null): SystemEvent {
    const m = messageOf(source, id);
    if (!m) throw new Error(`no message template for ${source} event ${id}`);
    const t = BOOT_TIME + this.events.length + 1;
    const e: SystemEvent = {
      log: 'System',
      recordNumber: this.events.length + 1,
      id,
      source,
      type: m.type,
      // An insert `%%N` names Win32 error N, expanded from the system's message table as Event
      // Viewer does through the source's ParameterMessageFile (the SCM logs errors this way).
      message: formatInserts(m.template, strings).replace(/%%(\d+)/g, (_, n: string) =>
        win32Message(Number(n)),
      ),
      strings,
      eventId: fullEventId(id, m.severity),
      data: data ? Buffer.from(data.buffer, data.byteOffset, data.length).toString('hex') : null,
      time: isoSeconds(t),
      timeGenerated: t,
      computer: this.computer,
    };
    this.events.push(e);
    if (source === 'EventLog' && id === 6005 && !this.started) {
      this.started = true;
      for (const q of this.queued.splice(0)) this.recordIoError(q);
    }
    return e;
  }
}

const EVT_TYPES = { error: 1, warning: 2, information: 4 } as const;

/** The events as .evt records (src/kernel/eventlog writes them as NT's EventLog service did). */
export function toEvtRecords(events: readonly SystemEvent[]): EvtRecord[] {
  return events.map((e) => ({
    recordNumber: e.recordNumber,
    timeGenerated: e.timeGenerated,
    timeWritten: e.timeGenerated,
    eventId: e.eventId,
    eventType: EVT_TYPES[e.type],
    eventCategory: e.category ?? 0,
    source: e.source,
    computer: e.computer,
    strings: [...e.strings],
    ...(e.data ? { data: new Uint8Array(Buffer.from(e.data, 'hex')) } : {}),
  }));
}

/** An NTSTATUS as the 4 little-endian bytes services put in an event's data. */
export const statusData = (status: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, status >>> 0, true);
  return b;
};
