// Whether libunicorn.so.2 loads here: tests that emulate x86 skip without it, saying so.
import { UnicornX86 } from '../../src/cpu/unicorn.js';

export const haveUnicorn = (() => {
  try {
    new UnicornX86({ library: 'libunicorn.so.2' }).close();
    return true;
  } catch {
    return false;
  }
})();
