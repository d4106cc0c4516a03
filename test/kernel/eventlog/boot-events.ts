// The System-log events of the kb138713 boot scenario, with fixed times: shared by the .evt tests.

import { NT_EVENT_IDS } from '../../../src/kernel/eventlog/event-id.js';
import type { EvtRecord } from '../../../src/kernel/eventlog/evt-writer.js';

/** 1996-05-13 15:06:40 UTC: a day an NT 3.51 machine could have booted. */
export const T0 = Date.UTC(1996, 4, 13, 15, 6, 40) / 1000;
const STATUS_OBJECT_NAME_NOT_FOUND = new Uint8Array([0x34, 0x00, 0x00, 0xc0]);

/** The three System-log events of the kb138713 boot: EventLog start, Server failure, SCM's report. */
export const bootEvents: EvtRecord[] = [
  {
    recordNumber: 1,
    timeGenerated: T0,
    timeWritten: T0,
    eventId: NT_EVENT_IDS.EVENT_EventlogStarted,
    eventType: 4,
    eventCategory: 0,
    source: 'EventLog',
    computer: 'NT351',
    strings: [],
  },
  {
    recordNumber: 2,
    timeGenerated: T0 + 21,
    timeWritten: T0 + 21,
    eventId: NT_EVENT_IDS.EVENT_SRV_CANT_LOAD_DRIVER,
    eventType: 1,
    eventCategory: 0,
    source: 'Server',
    computer: 'NT351',
    strings: ['Srv'],
    data: STATUS_OBJECT_NAME_NOT_FOUND,
  },
  {
    recordNumber: 3,
    timeGenerated: T0 + 22,
    timeWritten: T0 + 23,
    eventId: NT_EVENT_IDS.EVENT_SERVICE_EXIT_FAILED,
    eventType: 1,
    eventCategory: 0,
    source: 'Service Control Manager',
    computer: 'NT351',
    // %2 is a parameter insertion: Event Viewer expands %%2 from kernel32's message table
    // ("The system cannot find the file specified.").
    strings: ['Server', '%%2'],
  },
];
