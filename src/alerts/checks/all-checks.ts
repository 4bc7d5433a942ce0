import type { AlertCheck } from './check.js';
import { daemonsCheck } from './daemons-check.js';
import { fundsCheck } from './funds-check.js';
import { lotusAlertsCheck } from './lotus-alerts-check.js';
import { minersCheck } from './miners-check.js';
import { sealingCheck } from './sealing-check.js';
import { windowPostCheck } from './windowpost-check.js';
import { workersCheck } from './workers-check.js';

/** Every check, in the order /status shows their groups' first lines. */
export const allChecks: readonly AlertCheck[] = [
  daemonsCheck,
  minersCheck,
  windowPostCheck,
  fundsCheck,
  sealingCheck,
  workersCheck,
  lotusAlertsCheck,
];
