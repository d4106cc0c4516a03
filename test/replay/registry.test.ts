// Registry steps and expectations of scenarios: values set and deleted in the SYSTEM hive of the
// overlay (CurrentControlSet followed through Select), read back by hivexsh, the set on disk untouched.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenarios, ScenarioError } from '../../src/replay/index.js';
import {
  deleteRegistryPath,
  ImageSet,
  ImageSetError,
  readRegistryValue,
  SYSTEM_HIVE_PATH,
  setRegistryValue,
} from '../../src/system/index.js';
import { haveHivex } from '../helpers/tools.js';
import { hashTree } from '../helpers/tree.js';

const SET = 'fixtures/imagesets/kb138713-x86-up';
const SERVER = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer';
const tmp = mkdtempSync(join(tmpdir(), 'nt351-registry-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('registry paths on an image set', () => {
  it('set, read and delete values and keys in the overlay; CurrentControlSet is ControlSet001 here', () => {
    const before = hashTree(SET);
    const set = ImageSet.open(SET);
    expect(readRegistryValue(set, `${SERVER}\\Start`)).toBe(2);
    setRegistryValue(set, `${SERVER}\\Start`, 4);
    setRegistryValue(set, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\New\\Group', 'Extra');
    expect(readRegistryValue(set, 'HKLM\\SYSTEM\\ControlSet001\\Services\\LanmanServer\\Start')).toBe(4);
    expect(readRegistryValue(set, 'HKLM\\SYSTEM\\ControlSet002\\Services\\LanmanServer\\Start')).toBe(2);
    expect(readRegistryValue(set, `${SERVER}\\DependOnGroup`)).toEqual(['TDI']);
    expect(readRegistryValue(set, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\New\\Group')).toBe('Extra');
    expect(deleteRegistryPath(set, `${SERVER}\\DisplayName`)).toBe(true);
    expect(readRegistryValue(set, `${SERVER}\\DisplayName`)).toBeNull();
    expect(deleteRegistryPath(set, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Srv')).toBe(true);
    expect(readRegistryValue(set, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Srv\\Start')).toBeNull();
    expect(deleteRegistryPath(set, 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\NoSuch')).toBe(false);
    expect(() => readRegistryValue(set, 'HKLM\\SOFTWARE\\Microsoft\\x')).toThrow(ImageSetError);
    expect(hashTree(SET)).toEqual(before);
  });

  it.skipIf(!haveHivex)('hivexsh reads the edited hive the same way', () => {
    const set = ImageSet.open(SET);
    setRegistryValue(set, `${SERVER}\\Start`, 4);
    const file = join(tmp, 'SYSTEM');
    writeFileSync(file, set.read(SYSTEM_HIVE_PATH)!);
    const r = spawnSync('hivexsh', [file], {
      input: 'cd ControlSet001\\Services\\LanmanServer\nlsval Start\n',
      encoding: 'utf8',
    });
    expect(r.stdout.trim()).toBe('4');
  });
});

describe('registry steps in scenario files', () => {
  const parse = (steps: string) =>
    parseScenarios(`schema: nt351-scenario/1\nname: r\nsteps:\n${steps}`, 'r.yaml');

  it('parses set (number, string, list) and delete', () => {
    const [s] = parse(
      `  - registry: { set: ${SERVER}\\Start, value: 4 }\n  - registry: { set: ${SERVER}\\Group, value: Net }\n  - registry: { set: ${SERVER}\\DependOnGroup, value: [TDI, NDIS] }\n  - registry: { delete: ${SERVER} }\n`,
    );
    expect(
      s!.steps.map((x) => ('set' in x ? [x.set.split('\\').pop(), x.value] : 'delete' in x ? x.delete : x)),
    ).toEqual([['Start', 4], ['Group', 'Net'], ['DependOnGroup', ['TDI', 'NDIS']], SERVER]);
  });

  it.each([
    [
      '  - registry: { set: HKCU\\Software\\X, value: 1 }\n',
      "r.yaml:4:22: 'steps[0].registry.set': expected a path under HKLM\\SYSTEM",
    ],
    [
      `  - registry: { set: ${SERVER}\\Start, value: {a: 1} }\n`,
      "'steps[0].registry.value': expected a number (REG_DWORD)",
    ],
    [
      `  - registry: { set: ${SERVER}\\Start, value: 1, delete: ${SERVER} }\n`,
      "either 'set' with 'value', or 'delete'",
    ],
  ])('refuses %j with its position', (steps, message) => {
    expect(() => parse(steps)).toThrow(ScenarioError);
    expect(() => parse(steps)).toThrow(message);
  });
});
