// Which reference tools this machine has (scripts/setup.sh installs them; CI=true adds mingw-w64):
// tests that need one skip with the reason when it is missing.
import { spawnSync } from 'node:child_process';

/** Debian's python3 with python3-pefile (the `python3` first on PATH may lack it). */
export const PYTHON = '/usr/bin/python3';

const runs = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

export const havePefile = runs(PYTHON, ['-c', 'import pefile']);
export const haveObjdump = runs('objdump', ['--version']);
export const haveMingw = runs('i686-w64-mingw32-gcc', ['--version']);
/** python3-hivex and hivexsh (libhivex-bin): hives written by tools we did not write. */
export const haveHivex = runs(PYTHON, ['-c', 'import hivex']) && runs('sh', ['-c', 'command -v hivexsh']);
