// Every export handler nt351 has: one folder per module (ntoskrnl, hal, ndis, tdi, wdfldr, fwpkclnt) of area files,
// and the C runtime declared once for the modules that export it (crt/).
import type { ExportHandler } from '../registry.js';
import { crtExports } from './crt/index.js';
import { fwpkclntExports } from './fwpkclnt/index.js';
import { halIrqlExports } from './hal/irql.js';
import { halMachineExports } from './hal/machine.js';
import { halPortExports } from './hal/port.js';
import { ndisNetBufferExports } from './ndis/net-buffer.js';
import { ndisWrapperExports } from './ndis/wrapper.js';
import { ccExports } from './ntoskrnl/cc.js';
import { dataExports } from './ntoskrnl/data.js';
import { dbgExports } from './ntoskrnl/dbg.js';
import { exExports } from './ntoskrnl/ex.js';
import { exSyncExports } from './ntoskrnl/ex-sync.js';
import { ExUuidCreate } from './ntoskrnl/ex-uuid.js';
import { fsrtlExports } from './ntoskrnl/fsrtl.js';
import { ioExports } from './ntoskrnl/io.js';
import { ioErrorLogExports } from './ntoskrnl/io-errorlog.js';
import { ioMoreExports } from './ntoskrnl/io-more.js';
import { ioPnpExports } from './ntoskrnl/io-pnp.js';
import { keExports } from './ntoskrnl/ke.js';
import { keClockExports } from './ntoskrnl/ke-clock.js';
import { keDispatcherExports } from './ntoskrnl/ke-dispatcher.js';
import { mmExports } from './ntoskrnl/mm.js';
import { mmMoreExports } from './ntoskrnl/mm-more.js';
import { ntServiceExports } from './ntoskrnl/nt-services.js';
import { obExports } from './ntoskrnl/ob.js';
import { poExports } from './ntoskrnl/po.js';
import { psExports } from './ntoskrnl/ps.js';
import { rtlExports } from './ntoskrnl/rtl.js';
import { rtlMemoryExports } from './ntoskrnl/rtl-memory.js';
import { rtlNameExports } from './ntoskrnl/rtl-names.js';
import { RtlQueryRegistryValues } from './ntoskrnl/rtl-query-registry.js';
import { rtlStringExports } from './ntoskrnl/rtl-string.js';
import { seExports } from './ntoskrnl/se.js';
import { sehExports, sehLanguageExports } from './ntoskrnl/seh.js';
import { zwExports } from './ntoskrnl/zw.js';
import { tdiExports } from './tdi/client.js';
import { wdfExports } from './wdfldr/index.js';

export const ALL_HANDLERS: readonly ExportHandler[] = [
  ...rtlExports,
  ...ioExports,
  ...exExports,
  ExUuidCreate,
  ...keExports,
  ...dbgExports,
  ...mmExports,
  ...fsrtlExports,
  ...obExports,
  ...psExports,
  ...poExports,
  ...zwExports,
  ...rtlStringExports,
  ...rtlMemoryExports,
  ...keClockExports,
  ...keDispatcherExports,
  ...crtExports,
  ...halPortExports,
  ...halIrqlExports,
  ...halMachineExports,
  ...dataExports,
  ...exSyncExports,
  ...ioMoreExports,
  ...ioPnpExports,
  ...ioErrorLogExports,
  ...mmMoreExports,
  ...ntServiceExports,
  ...seExports,
  ...sehExports,
  ...sehLanguageExports,
  ...ccExports,
  ...ndisWrapperExports,
  ...tdiExports,
  ...rtlNameExports,
  RtlQueryRegistryValues,
  ...wdfExports,
  ...fwpkclntExports,
  ...ndisNetBufferExports,
];
