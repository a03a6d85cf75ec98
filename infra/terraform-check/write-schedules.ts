/** Writes terraform/schedules.auto.tfvars.json from lib/runtime/schedules.ts: `npx tsx infra/terraform-check/write-schedules.ts`. */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SCHEDULES } from '../../lib/runtime/schedules.ts';
import { renderSchedulesTfvars, SCHEDULES_TFVARS } from './schedule-agreement.ts';

const target = fileURLToPath(new URL(`../../terraform/${SCHEDULES_TFVARS}`, import.meta.url));
await writeFile(target, renderSchedulesTfvars(SCHEDULES));
console.log(`wrote ${target} (${SCHEDULES.length} schedules)`);
