/**
 * The config agreement check: every variable lib/config.ts reads (the keys of its EnvSchema) is set for every
 * function kind in terraform/env.tf (plain, secret, or by the function's module) or listed in
 * `local.config_defaults`; nothing is set that the code does not read; the module calls really pass those
 * locals. EnvSchema keys are read from the source with the TypeScript parser, so the check follows the code.
 */
import { readFile } from 'node:fs/promises';
import ts from 'typescript';
import { isBody, labelled, locals } from './load.ts';
import type { Finding, HclValue, ModuleDir } from './types.ts';

/** The function kinds, the root module call of each, its module directory and its env local. */
const KINDS = [
  { kind: 'state-api', call: 'state_api', dir: 'modules/http-function', local: 'env_state_api' },
  { kind: 'scheduled', call: 'scheduled', dir: 'modules/scheduled-function', local: 'env_scheduled' },
] as const;

export async function envSchemaKeys(configPath: string): Promise<string[]> {
  const source = ts.createSourceFile(
    configPath,
    await readFile(configPath, 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
  );
  let keys: string[] | null = null;
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.name.getText(source) === 'EnvSchema' && node.initializer) {
      const call = node.initializer;
      const arg = ts.isCallExpression(call) ? call.arguments[0] : undefined;
      if (arg && ts.isObjectLiteralExpression(arg))
        keys = arg.properties.flatMap((p) =>
          p.name ? [p.name.getText(source).replace(/^['"]|['"]$/g, '')] : [],
        );
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (!keys) throw new Error(`${configPath}: no \`const EnvSchema = v.object({ … })\` found`);
  return keys;
}

export function checkConfigAgreement(
  modules: readonly ModuleDir[],
  schemaKeys: readonly string[],
  announced: readonly string[],
): Finding[] {
  const findings: Finding[] = [];
  const root = modules.find((m) => m.dir === '');
  if (!root) return [{ check: 'config', file: '.', message: 'no root module' }];
  const rootLocals = locals(root);
  const map = (name: string): { keys: Set<string>; file: string } => {
    const entry = rootLocals.get(name);
    if (!entry || !isBody(entry.value)) {
      findings.push({
        check: 'config',
        file: entry?.file ?? 'env.tf',
        message: `local.${name} must be a map literal`,
      });
      return { keys: new Set(), file: entry?.file ?? 'env.tf' };
    }
    return { keys: new Set(Object.keys(entry.value)), file: entry.file };
  };
  const common = map('env_common');
  const secrets = map('secret_env');
  const defaults = map('config_defaults');
  const known = new Set([...schemaKeys, ...announced]);
  const setByKind = new Map<string, Set<string>>();

  for (const { kind, call, dir, local } of KINDS) {
    const own = map(local);
    const child = modules.find((m) => m.dir === dir);
    const moduleEnv = child ? locals(child).get('own_env')?.value : undefined;
    const set = new Set([
      ...common.keys,
      ...own.keys,
      ...secrets.keys,
      ...(isBody(moduleEnv) ? Object.keys(moduleEnv) : []),
    ]);
    setByKind.set(kind, set);
    const calls = labelled(root, 'module').filter((m) => m.name === call);
    if (calls.length === 0)
      findings.push({ check: 'config', file: 'main.tf', message: `no module "${call}" (${kind})` });
    for (const c of calls) {
      if (
        !mentions(c.body.environment, 'local.env_common') ||
        !mentions(c.body.environment, `local.${local}`)
      )
        findings.push({
          check: 'config',
          file: c.file,
          message: `module "${call}": environment must merge local.env_common and local.${local}`,
        });
      if (!mentions(c.body.secret_environment, 'local.secret_env'))
        findings.push({
          check: 'config',
          file: c.file,
          message: `module "${call}": secret_environment must be local.secret_env`,
        });
    }
    for (const key of own.keys)
      if (!known.has(key))
        findings.push({
          check: 'config',
          file: own.file,
          message: `${key} is set but lib/config.ts does not read it`,
        });
    for (const key of schemaKeys) {
      if (!set.has(key) && !defaults.keys.has(key))
        findings.push({
          check: 'config',
          file: own.file,
          message: `${key} (lib/config.ts) is neither set for ${kind} nor listed in local.config_defaults`,
        });
    }
  }
  for (const [name, entry] of [
    ['set', common],
    ['set', secrets],
    ['listed as a default', defaults],
  ] as const) {
    for (const key of entry.keys)
      if (!known.has(key))
        findings.push({
          check: 'config',
          file: entry.file,
          message: `${key} is ${name} but lib/config.ts does not read it`,
        });
  }
  for (const key of defaults.keys) {
    if ([...setByKind.values()].every((set) => set.has(key)))
      findings.push({
        check: 'config',
        file: defaults.file,
        message: `${key} is listed in config_defaults but set for every function`,
      });
  }
  for (const key of secrets.keys)
    if (common.keys.has(key))
      findings.push({
        check: 'config',
        file: secrets.file,
        message: `${key} is both a secret and a plain variable`,
      });
  return findings;
}

function mentions(value: HclValue | undefined, what: string): boolean {
  return typeof value === 'string' && new RegExp(`${what.replace('.', '\\.')}\\b`).test(value);
}
