// The screens of the golden pictures (test/golden/screen, test/golden/png): the KB Q138713 popup and a
// MISMATCHED_HAL STOP screen, as ScreenInput data that needs no boot.
import type { ScreenInput } from '../../src/cli/render-screen.js';

/** The popup of Microsoft KB Q138713 (srv.sys from a service pack on the build 1057 kernel). */
export const kb138713: ScreenInput = {
  title: 'kb138713: srv.sys needs RtlIsNameLegalDOS8Dot3',
  hardErrors: [
    {
      caption: 'System Process - Driver Entry Point Not Found',
      text: 'The \\SystemRoot\\System32\\drivers\\srv.sys device driver could not locate the entry point RtlIsNameLegalDOS8Dot3 in driver NTOSKRNL.EXE.',
      status: 0xc0000263, // STATUS_DRIVER_ENTRYPOINT_NOT_FOUND
    },
  ],
  bugcheck: null,
};

/**
 * Kernel and HAL of different build types (parameters as in KB Q162804). Bases and DateStmp values are
 * borrowed from the NT 4.0 Resource Kit's figure 38.1 (a build 1057 screen), not from a real boot.
 */
export const mismatchedHal: ScreenInput = {
  title: 'MISMATCHED_HAL: HAL and kernel build types differ',
  hardErrors: [],
  bugcheck: {
    code: 0x79,
    name: 'MISMATCHED_HAL',
    params: [2, 2, 0, 0],
    module: null,
    modules: [
      { name: 'ntoskrnl.exe', base: 0x80100000, date: '2fc653bc' },
      { name: 'hal.dll', base: 0x80400000, date: '2fb24f4a' },
      { name: 'atapi.sys', base: 0x80010000, date: '2faae87f' },
      { name: 'SCSIPORT.SYS', base: 0x80013000, date: '2faae8ca' },
      { name: 'Disk.sys', base: 0x8001b000, date: '2faae8c5' },
      { name: 'CLASS2.SYS', base: 0x8001f000 },
      { name: 'Fastfat.sys', base: 0x8029e000, date: '2fc15d19' },
    ],
  },
};
