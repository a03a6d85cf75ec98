/**
 * The variables check: every variable is typed, documented, `nullable = false` and read somewhere; every module
 * call passes only its child's variables and all the required ones; every tfvars file (environments/*.tfvars,
 * *.auto.tfvars.json) sets only declared variables, and with the auto files sets every required one.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { blocks, labelled } from './load.ts';
import type { Finding, HclBody, ModuleDir, SourceFile } from './types.ts';

const MODULE_META = new Set(['source', 'version', 'providers', 'count', 'for_each', 'depends_on']);

export function checkVariables(modules: readonly ModuleDir[], varsUsed: Map<string, Set<string>>): Finding[] {
  const findings: Finding[] = [];
  const byDir = new Map(modules.map((m) => [m.dir, m]));
  for (const module of modules) {
    const used = varsUsed.get(module.dir) ?? new Set<string>();
    // A placeholder module (inputs only, nothing built yet, e.g. modules/monitoring before its owner fills it)
    // cannot use its inputs; everything else must.
    const placeholder =
      blocks(module).length === 0 &&
      labelled(module, 'module').length === 0 &&
      labelled(module, 'output').length === 0;
    for (const { name, body, file } of labelled(module, 'variable')) {
      if (!used.has(name) && !placeholder)
        findings.push({ check: 'variables', file, message: `variable "${name}" is declared but never used` });
      if (!('type' in body))
        findings.push({ check: 'variables', file, message: `variable "${name}" has no type` });
      if (body.nullable !== false)
        findings.push({ check: 'variables', file, message: `variable "${name}" is not nullable = false` });
      if (typeof body.description !== 'string')
        findings.push({ check: 'variables', file, message: `variable "${name}" has no description` });
    }
    for (const call of labelled(module, 'module')) {
      const source = typeof call.body.source === 'string' ? call.body.source : '';
      const child = source.startsWith('.') ? byDir.get(normalize(join(module.dir, source))) : undefined;
      if (!child) continue;
      const declared = new Map(labelled(child, 'variable').map((v) => [v.name, v.body]));
      for (const arg of Object.keys(call.body)) {
        if (!MODULE_META.has(arg) && !declared.has(arg))
          findings.push({
            check: 'variables',
            file: call.file,
            message: `module "${call.name}": ${child.dir} has no variable "${arg}"`,
          });
      }
      for (const [name, body] of declared) {
        if (!('default' in body) && !(name in call.body))
          findings.push({
            check: 'variables',
            file: call.file,
            message: `module "${call.name}": required variable "${name}" is not set`,
          });
      }
    }
  }
  return findings;
}

/** tfvars files of the root module agree with its variables. */
export async function checkTfvars(
  root: string,
  rootModule: ModuleDir,
  envFiles: readonly SourceFile[],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const declared = new Map(labelled(rootModule, 'variable').map((v) => [v.name, v.body]));
  const auto: Record<string, unknown> = {};
  for (const name of (await readdir(root)).filter((n) => n.endsWith('.auto.tfvars.json')).sort()) {
    const values = JSON.parse(await readFile(join(root, name), 'utf8')) as Record<string, unknown>;
    Object.assign(auto, values);
    for (const key of Object.keys(values))
      if (!declared.has(key))
        findings.push({ check: 'variables', file: name, message: `sets "${key}", which is not a variable` });
  }
  for (const file of envFiles) {
    if (!file.body) continue;
    const values: HclBody = file.body;
    for (const key of Object.keys(values))
      if (!declared.has(key))
        findings.push({
          check: 'variables',
          file: file.path,
          message: `sets "${key}", which is not a variable`,
        });
    for (const [key, body] of declared) {
      if (!('default' in body) && !(key in values) && !(key in auto))
        findings.push({
          check: 'variables',
          file: file.path,
          message: `required variable "${key}" is not set`,
        });
    }
  }
  return findings;
}
