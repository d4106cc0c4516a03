// Machine profiles: which HAL a machine needs and how many processors it can have. Data, not code
// (conventions.md); src/hal/index.ts builds the HAL from a profile's components.

/** Build types as KPRCB.BuildType and MISMATCHED_HAL's parameters give them (nt351-facts.md). */
export const BuildType = { MP_FREE: 0, MP_CHECKED: 1, UP_FREE: 2, UP_CHECKED: 3 } as const;

export interface MachineProfile {
  name: string;
  architecture: 'x86' | 'alpha';
  description: string;
  /** The HAL Setup installs for this machine (copied as HAL.DLL). */
  halFile: string;
  /** The HAL's processor component: `up` or `mp` (a machine may need an MP HAL with one CPU). */
  hal: 'up' | 'mp';
  /** Most processors the HAL starts. */
  maxProcessors: number;
  /**
   * Devices on the machine's I/O ports, as fixed values they read back (x86). Model: an idle primary
   * IDE controller answers its status port 0x1F7 with 0x50 (DRDY | DSC), so atdisk.sys finds a disk.
   */
  ports: Readonly<Record<number, number>>;
}

const PC_PORTS = Object.freeze({ 503: 0x50 } as const);

/**
 * Sources: nt351-facts.md "Versions and layout" for the HAL names; the seed's note for the
 * AlphaServer 2100's MP HAL on single-processor machines. Processor limits are a model (NT 3.51's x86
 * MP kernel handled 32 processors; the AlphaServer 2100 has at most 4).
 */
export const PROFILES: readonly MachineProfile[] = [
  {
    name: 'x86-pc-up',
    architecture: 'x86',
    description: 'Standard PC (ISA/EISA), uniprocessor HAL',
    halFile: 'hal.dll',
    hal: 'up',
    maxProcessors: 1,
    ports: PC_PORTS,
  },
  {
    name: 'x86-mps-mp',
    architecture: 'x86',
    description: 'MPS 1.1 multiprocessor PC',
    halFile: 'halmps.dll',
    hal: 'mp',
    maxProcessors: 32,
    ports: PC_PORTS,
  },
  {
    name: 'alpha-jensen-up',
    architecture: 'alpha',
    description: 'DECpc AXP 150 (Jensen), uniprocessor HAL',
    halFile: 'hal0jens.dll',
    hal: 'up',
    maxProcessors: 1,
    ports: {},
  },
  {
    name: 'alpha-2100',
    architecture: 'alpha',
    description:
      'AlphaServer 2100 (Sable) or 2000 (Demi-Sable): a multiprocessor HAL even with one processor',
    halFile: 'halsabmp.dll',
    hal: 'mp',
    maxProcessors: 4,
    ports: {},
  },
  // Further HALs NT 3.51 shipped (nt351-facts.md "Versions and layout" names them), so a real
  // installation's HAL.DLL can be recognised. Model: their UP/MP kind and processor limits follow the
  // machines they were written for (Setup's HAL list); their behaviour is the common UP or MP HAL's.
  ...vendorHals(),
];

/** One profile per further HAL: [name, architecture, HAL file, up/mp, max processors, description]. */
function vendorHals(): MachineProfile[] {
  const table: [string, 'x86' | 'alpha', string, 'up' | 'mp', number, string][] = [
    ['x86-486c-up', 'x86', 'hal486c.dll', 'up', 1, 'Standard PC with a C-step i486'],
    ['x86-apic-up', 'x86', 'halapic.dll', 'up', 1, 'Uniprocessor PC with an APIC'],
    ['x86-mca-up', 'x86', 'halmca.dll', 'up', 1, 'MCA (Micro Channel) PC'],
    ['x86-ast-mp', 'x86', 'halast.dll', 'mp', 4, 'AST Manhattan SMP'],
    ['x86-cbus-mp', 'x86', 'halcbus.dll', 'mp', 8, 'Corollary C-bus multiprocessor'],
    ['x86-ncr-mp', 'x86', 'halncr.dll', 'mp', 8, 'NCR System 3000 multiprocessor'],
    ['x86-olivetti-mp', 'x86', 'haloli.dll', 'mp', 4, 'Olivetti LSX5030/40 multiprocessor'],
    ['x86-systempro-mp', 'x86', 'halsp.dll', 'mp', 2, 'Compaq SystemPro multiprocessor'],
    ['x86-wyse7-mp', 'x86', 'halwyse7.dll', 'mp', 8, 'Wyse 7000i multiprocessor'],
    [
      'alpha-gamma',
      'alpha',
      'halgammp.dll',
      'mp',
      4,
      'AlphaServer 2100 A (Gamma): a multiprocessor HAL even with one processor',
    ],
    ['alpha-alcor-up', 'alpha', 'halalcor.dll', 'up', 1, 'AlphaStation 600 (Alcor), uniprocessor HAL'],
  ];
  return table.map(([name, architecture, halFile, hal, maxProcessors, description]) => ({
    name,
    architecture,
    description,
    halFile,
    hal,
    maxProcessors,
    ports: architecture === 'x86' ? PC_PORTS : {},
  }));
}

export function findProfile(name: string): MachineProfile | undefined {
  return PROFILES.find((p) => p.name === name);
}

/**
 * The profiles whose HAL is `halFile` (case-insensitive), first the one nt351 models closest. Sable and
 * Demi-Sable (AlphaServer 2100 and 2000) share halsabmp.dll (the seed's note), so one HAL can fit several machines.
 */
export function profilesForHal(halFile: string): MachineProfile[] {
  return PROFILES.filter((p) => p.halFile.toLowerCase() === halFile.toLowerCase());
}
