// NT event log files (.evt): raw layouts, event ids, writer and reader.

export { type EventSeverity, fullEventId, NT_EVENT_IDS, splitEventId } from './event-id.js';
export { type EvtFormatDetails, EvtFormatError, EvtWriteError } from './evt-errors.js';
export { type EvtLog, type EvtLogHeader, type ReadEvtRecord, readEvtFile } from './evt-reader.js';
export { type EvtRecord, type EvtWriteOptions, writeEvtFile } from './evt-writer.js';
