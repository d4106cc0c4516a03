// NT's message texts (src/loader/messages.ts): ntstatus.mc templates rendered as a hard error shows
// them, the caption apart and printf-style inserts filled in order, each template split once.
import { describe, expect, it } from 'vitest';
import { formatInserts, ntStatusMessage } from '../../src/loader/messages.js';

describe('ntStatusMessage', () => {
  it("renders a driver's missing entry point, the same again, and other parameters into the same template", () => {
    const srv = ['\\SystemRoot\\System32\\drivers\\srv.sys', 'SomeMissingRoutine', 'ntoskrnl.exe'];
    const expected = {
      caption: 'Driver Entry Point Not Found',
      text: 'The \\SystemRoot\\System32\\drivers\\srv.sys device driver could not locate the entry point SomeMissingRoutine in driver ntoskrnl.exe.',
    };
    expect(ntStatusMessage(0xc0000263, srv)).toEqual(expected);
    expect(ntStatusMessage(0xc0000263, srv)).toEqual(expected);
    expect(ntStatusMessage(0xc0000263, ['a.sys', 'X', 'hal.dll'])?.text).toBe(
      'The a.sys device driver could not locate the entry point X in driver hal.dll.',
    );
  });

  it('fills %ld with the number, leaves inserts without a parameter as written, and knows only its templates', () => {
    expect(ntStatusMessage(0xc0000138, [12, 'ndis.sys'])).toEqual({
      caption: 'Ordinal Not Found',
      text: 'The ordinal 12 could not be located in the dynamic link library ndis.sys.',
    });
    expect(ntStatusMessage(0xc0000262, ['a.sys'])?.text).toBe(
      'The a.sys device driver could not locate the ordinal %ld in driver %hs.',
    );
    expect(ntStatusMessage(-0x3ffffd9d, ['a.sys', 'X', 'k'])?.caption).toBe('Driver Entry Point Not Found');
    expect(ntStatusMessage(0xc0000001, ['a'])).toBeNull();
  });
});

describe('formatInserts', () => {
  it('fills %1..%99, %n and %% as FormatMessage does, and leaves any other % as it is', () => {
    expect(formatInserts('The %1 service depends on %2.%n%%%3%', ['Server', 'Srv'])).toBe(
      'The Server service depends on Srv.\r\n%%3%',
    );
    // Against the regular expression it replaced, over templates made of the characters that matter.
    const reference = (t: string, inserts: string[]) =>
      t.replace(/%(\d{1,2}|n|%)/g, (_, k: string) =>
        k === 'n' ? '\r\n' : k === '%' ? '%' : (inserts[Number(k) - 1] ?? `%${k}`),
      );
    const alphabet = ['%', '%', '1', '2', '0', '9', 'n', 'x', ' '];
    const inserts = Array.from({ length: 12 }, (_, i) => `<${i + 1}>`);
    let seed = 7;
    for (let round = 0; round < 2000; round++) {
      let t = '';
      for (let n = round % 9; n > 0; n--) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        t += alphabet[seed % alphabet.length];
      }
      expect(formatInserts(t, inserts)).toBe(reference(t, inserts));
    }
  });
});
