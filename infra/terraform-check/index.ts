/**
 * The offline Terraform check (no terraform binary here): parse, format, provider schema, references,
 * variables, config agreement and schedules over a Terraform tree. `checkTerraform` returns every finding;
 * an empty list means the tree passed. test/terraform/terraform.test.ts runs it on terraform/.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Schedule } from '../../lib/runtime/schedules.ts';
import { checkConfigAgreement, envSchemaKeys } from './config-agreement.ts';
import { checkFormat } from './format.ts';
import { googleSchema } from './google-schema.ts';
import { loadTree, parseFile } from './load.ts';
import { checkReferences } from './references.ts';
import { checkSchedules } from './schedule-agreement.ts';
import { checkPins, checkSchema } from './schema.ts';
import type { Finding, SourceFile } from './types.ts';
import { checkTfvars, checkVariables } from './variables.ts';

export interface CheckOptions {
  /** lib/config.ts, whose EnvSchema keys every function must set or default. */
  readonly configPath: string;
  /** lib/runtime/schedules.ts's SCHEDULES. */
  readonly schedules: readonly Schedule[];
  /** Variables another branch adds to EnvSchema that Terraform may already set or default. */
  readonly announced?: readonly string[];
}

export interface CheckReport {
  readonly findings: readonly Finding[];
  /** Block types whose arguments could not be checked: their provider has no schema on this machine. */
  readonly unchecked: readonly string[];
  readonly googleVersion: string;
}

export async function checkTerraform(root: string, options: CheckOptions): Promise<CheckReport> {
  const { modules, findings } = await loadTree(root);
  const envFiles: SourceFile[] = [];
  for (const name of (await readdir(join(root, 'environments')).catch(() => [] as string[])).sort())
    if (name.endsWith('.tfvars'))
      envFiles.push(await parseFile(root, join(root, 'environments', name), findings));
  const rootModule = modules.find((m) => m.dir === '');
  if (!rootModule)
    return {
      findings: [{ check: 'parse', file: '.', message: 'no .tf files' }],
      unchecked: [],
      googleVersion: '',
    };

  const google = await googleSchema();
  findings.push(...(await checkFormat([...modules.flatMap((m) => m.files), ...envFiles])));
  const schema = await checkSchema(modules);
  findings.push(...schema.findings, ...checkPins(rootModule));
  const references = checkReferences(modules, google);
  findings.push(...references.findings);
  findings.push(...checkVariables(modules, references.varsUsed));
  findings.push(...(await checkTfvars(root, rootModule, envFiles)));
  const keys = await envSchemaKeys(options.configPath);
  findings.push(...checkConfigAgreement(modules, keys, options.announced ?? []));
  findings.push(...(await checkSchedules(root, modules, options.schedules)));
  return { findings, unchecked: [...schema.unchecked].sort(), googleVersion: google.version };
}
