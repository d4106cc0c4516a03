// Sample trees for the hive tests and the bench: a SYSTEM-like hive with services of every value type,
// names in UTF-16 and 8-bit ranges, a default value, and (optionally) enough keys to need index roots.
import { type HiveKeySpec, type HiveValueSpec, regValue as V } from '../../src/regf/index.js';

/** Values of one service key, varied by `i` so that no two keys hold the same bytes. */
function serviceValues(i: number): HiveValueSpec[] {
  const values: HiveValueSpec[] = [
    V.dword('Type', 1 + (i % 2)),
    V.dword('Start', i % 5),
    V.dword('ErrorControl', i % 4),
    V.sz('Group', i % 3 === 0 ? 'Network' : 'Extended base'),
    V.expandSz('ImagePath', `\\SystemRoot\\System32\\drivers\\svc${i}.sys`),
    V.multiSz('DependOnService', i % 2 ? [] : ['Tcpip', `Dep${i}`]),
    V.dword('Tag', i),
  ];
  if (i % 7 === 0) values.push(V.sz('', `default of ${i}`));
  if (i % 11 === 0)
    values.push(
      V.binary(
        'Blob',
        Uint8Array.from({ length: 40 + i }, (_, k) => (k * 7 + i) & 0xff),
      ),
    );
  if (i % 13 === 0) values.push(V.qword('Big', BigInt(i) * 0x1_0000_0001n));
  if (i % 17 === 0) values.push(V.dwordBigEndian('BE', 0x01020304 + i));
  if (i % 19 === 0) values.push({ name: 'Odd', type: 0x4242, data: Uint8Array.of(1, 2, 3, 4, 5, i & 0xff) });
  if (i % 23 === 0) values.push(V.none('Nothing'));
  return values;
}

/** A SYSTEM-like tree with `services` service keys under ControlSet001\Services. */
export function sampleSystem(services = 40): HiveKeySpec {
  const svc: HiveKeySpec[] = [];
  for (let i = 0; i < services; i++) {
    svc.push({
      name: i === 3 ? 'Ärger' : i === 5 ? 'Сервер' : `Service${String(i).padStart(4, '0')}`,
      values: serviceValues(i),
      subkeys: i % 9 === 0 ? [{ name: 'Parameters', values: [V.sz('Path', `C:\\svc\\${i}`)] }] : [],
    });
  }
  svc.push({ name: 'LanmanServer', values: [V.dword('Start', 2), V.sz('DisplayName', 'Server')] });
  return {
    name: 'SYSTEM',
    subkeys: [
      {
        name: 'Select',
        values: [
          V.dword('Current', 1),
          V.dword('Default', 1),
          V.dword('Failed', 0),
          V.dword('LastKnownGood', 2),
        ],
      },
      {
        name: 'ControlSet001',
        subkeys: [
          { name: 'Services', subkeys: svc },
          {
            name: 'Control',
            subkeys: [
              { name: 'ServiceGroupOrder', values: [V.multiSz('List', ['System Bus Extender', 'Network'])] },
            ],
          },
        ],
      },
      { name: 'ControlSet002', className: 'LKG' },
    ],
  };
}
