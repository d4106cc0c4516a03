// The 32-bit EventID of an event record: message-table code plus severity, customer and facility bits,
// and the ids of the System-log events an NT 3.51 boot writes.
//
// Layout (libyal libevt "Event identifier"; winerror.h / the message compiler's MessageId layout):
//   bits 31-30 severity (0 success, 1 informational, 2 warning, 3 error), bit 29 customer,
//   bit 28 reserved, bits 27-16 facility, bits 15-0 code (the "Event ID" Event Viewer shows).
// The severity bits are what the source's message file declares (its .mc `Severity=`), not the record's
// EventType: netevent.mc declares EVENT_EventlogStarted (6005) `Severity=Warning`, so its EventID is
// 0x80001775 although the EventLog service writes it with EventType EVENTLOG_INFORMATION_TYPE.

/** Severity field of a message id (bits 31-30). */
export type EventSeverity = 'success' | 'informational' | 'warning' | 'error';

const SEVERITY_BITS: Record<EventSeverity, number> = { success: 0, informational: 1, warning: 2, error: 3 };
const SEVERITY_NAMES: readonly EventSeverity[] = ['success', 'informational', 'warning', 'error'];

/**
 * The full 32-bit EventID for a 16-bit code, as the message compiler builds it.
 * @param code the number Event Viewer shows (e.g. 7023); 0..0xffff
 * @param severity the severity the message file declares for it
 * @param facility 12-bit facility (0 = FACILITY_NULL / netevent.mc's `System`)
 * @param customer the customer bit (set by non-Microsoft message files)
 */
export function fullEventId(code: number, severity: EventSeverity, facility = 0, customer = false): number {
  if (!Number.isInteger(code) || code < 0 || code > 0xffff)
    throw new RangeError(`event code ${code} is not 16-bit`);
  if (!Number.isInteger(facility) || facility < 0 || facility > 0xfff)
    throw new RangeError(`facility ${facility} is not 12-bit`);
  return ((SEVERITY_BITS[severity] << 30) | (customer ? 1 << 29 : 0) | (facility << 16) | code) >>> 0;
}

/** The fields of a full 32-bit EventID (inverse of {@link fullEventId}). */
export function splitEventId(id: number): {
  code: number;
  facility: number;
  customer: boolean;
  severity: EventSeverity;
} {
  const v = id >>> 0;
  return {
    code: v & 0xffff,
    facility: (v >>> 16) & 0xfff,
    customer: ((v >>> 29) & 1) === 1,
    severity: SEVERITY_NAMES[v >>> 30] as EventSeverity,
  };
}

/**
 * Full EventIDs of the System-log events the `nt351 boot` scenario writes. Values as netevent.h defines
 * them (Windows SDK header, also netevent.mc in ReactOS: 6005 `Severity=Warning`, 7023 `Severity=Error`).
 * EVENT_SRV_CANT_LOAD_DRIVER (2508) is 0x800009CC there (warning severity bits), not 0xC00009CC; the
 * record's EventType is set separately by the Server service.
 */
export const NT_EVENT_IDS = {
  /** EventLog 6005 "The Event log service was started." */
  EVENT_EventlogStarted: 0x80001775,
  /** Server 2508 "The server service was unable to load the server driver." */
  EVENT_SRV_CANT_LOAD_DRIVER: 0x800009cc,
  /** Service Control Manager 7023 "The %1 service terminated with the following error: %n%2" */
  EVENT_SERVICE_EXIT_FAILED: 0xc0001b6f,
} as const;
