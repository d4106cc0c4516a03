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

const PC_PORTS = { 503: 0x50 } as const;

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
    description: 'AlphaServer 2100 (Sable): a multiprocessor HAL even with one processor',
    halFile: 'halsabmp.dll',
    hal: 'mp',
    maxProcessors: 4,
    ports: {},
  },
];

export function findProfile(name: string): MachineProfile | undefined {
  return PROFILES.find((p) => p.name === name);
}
