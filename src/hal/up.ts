// The uniprocessor HAL component (hal.dll, hal0jens.dll): one processor, whatever the machine has.
import type { HalVariant } from './common.js';

export const upHal: HalVariant = {
  kind: 'up',
  processorsToStart: () => 1,
};
