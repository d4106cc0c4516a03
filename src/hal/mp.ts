// The multiprocessor HAL component (halmps.dll, halsabmp.dll): starts every processor present, up to
// the machine's limit (HalStartNextProcessor is asked once per further processor).
import type { HalVariant } from './common.js';

export const mpHal: HalVariant = {
  kind: 'mp',
  processorsToStart: (present, max) => Math.max(1, Math.min(present, max)),
};
