/**
 * The schedules check: terraform/schedules.auto.tfvars.json says exactly what lib/runtime/schedules.ts says, each
 * cron fires as often as the cloud can come to the in-process cadence (everyMs rounded up to Cloud Scheduler's
 * minute), and the Terraform really feeds var.schedules into the scheduler jobs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cloudEveryMs, cronPeriodMs, type Schedule } from '../../lib/runtime/schedules.ts';
import { blocks, labelled } from './load.ts';
import type { Finding, ModuleDir } from './types.ts';

export const SCHEDULES_TFVARS = 'schedules.auto.tfvars.json';

/** The tfvars file's content for these schedules (what write-schedules.ts writes). */
export function renderSchedulesTfvars(schedules: readonly Schedule[]): string {
  const byName = Object.fromEntries(
    schedules.map((s) => [s.name, { cron: s.cron, description: s.description }]),
  );
  return `${JSON.stringify({ schedules: byName }, null, 2)}\n`;
}

export async function checkSchedules(
  root: string,
  modules: readonly ModuleDir[],
  schedules: readonly Schedule[],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const file = SCHEDULES_TFVARS;
  for (const s of schedules) {
    const period = cronPeriodMs(s.cron);
    if (period !== cloudEveryMs(s))
      findings.push({
        check: 'schedules',
        file: 'lib/runtime/schedules.ts',
        message: `${s.name}: cron "${s.cron}" fires every ${period ?? '?'} ms, the cloud's cadence for everyMs ${s.everyMs} is ${cloudEveryMs(s)} ms`,
      });
  }
  const text = await readFile(join(root, file), 'utf8').catch(() => null);
  if (text === null) {
    findings.push({
      check: 'schedules',
      file,
      message: 'missing: run npx tsx infra/terraform-check/write-schedules.ts',
    });
  } else {
    const actual =
      (JSON.parse(text) as { schedules?: Record<string, { cron?: string; description?: string }> })
        .schedules ?? {};
    const expected = new Map(schedules.map((s) => [s.name as string, s]));
    for (const [name, s] of expected) {
      const tf = actual[name];
      if (!tf) findings.push({ check: 'schedules', file, message: `${name} has no Cloud Scheduler entry` });
      else if (tf.cron !== s.cron)
        findings.push({
          check: 'schedules',
          file,
          message: `${name}: cron "${tf.cron}" in Terraform, "${s.cron}" in lib/runtime/schedules.ts`,
        });
    }
    for (const name of Object.keys(actual))
      if (!expected.has(name))
        findings.push({
          check: 'schedules',
          file,
          message: `${name} is scheduled in Terraform but not in lib/runtime/schedules.ts`,
        });
    if (findings.length === 0 && text !== renderSchedulesTfvars(schedules))
      findings.push({
        check: 'schedules',
        file,
        message: 'edited by hand: regenerate it with write-schedules.ts',
      });
  }
  const rootModule = modules.find((m) => m.dir === '');
  const call = rootModule ? labelled(rootModule, 'module').find((m) => m.name === 'scheduled') : undefined;
  if (call?.body.for_each !== hcl('var.schedules') || call.body.schedule !== hcl('each.value.cron'))
    findings.push({
      check: 'schedules',
      file: call?.file ?? 'main.tf',
      message: 'module "scheduled" must take for_each = var.schedules and schedule = each.value.cron',
    });
  const child = modules.find((m) => m.dir === 'modules/scheduled-function');
  const job = child ? blocks(child).find((b) => b.type === 'google_cloud_scheduler_job') : undefined;
  if (job?.body.schedule !== hcl('var.schedule'))
    findings.push({
      check: 'schedules',
      file: job?.file ?? 'modules/scheduled-function/main.tf',
      message: 'the scheduler job must use schedule = var.schedule',
    });
  return findings;
}

/** How hcl2json writes an attribute that is a bare expression. */
function hcl(expression: string): string {
  return `\${${expression}}`;
}
