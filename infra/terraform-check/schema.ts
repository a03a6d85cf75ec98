/**
 * The schema check: every resource and data-source type belongs to a provider the module declares, and for the
 * google provider (the one schema on the machine) every argument and nested block exists and every required
 * argument is set. upstash, neon, clickhouse, archive and random publish no schema offline: their blocks are
 * only checked to belong to a declared provider, and listed as unchecked.
 */
import { type BlockSchema, googleSchema, META_ARGUMENTS } from './google-schema.ts';
import { asBodies, blocks, isBody, terraformBlocks } from './load.ts';
import type { Finding, HclBody, ModuleDir } from './types.ts';

export interface SchemaReport {
  readonly findings: Finding[];
  /** `mode:type` of every block whose arguments could not be checked (no schema offline). */
  readonly unchecked: Set<string>;
}

/** Terraform's built-in provider: `terraform_data` and friends need no declaration. */
const BUILTIN_PROVIDERS = new Set(['terraform']);

export async function checkSchema(modules: readonly ModuleDir[]): Promise<SchemaReport> {
  const google = await googleSchema();
  const findings: Finding[] = [];
  const unchecked = new Set<string>();
  for (const module of modules) {
    const declared = declaredProviders(module);
    for (const block of blocks(module)) {
      const where = `${block.mode === 'data' ? 'data.' : ''}${block.type}.${block.name}`;
      const provider = providerOf(block.type, block.body);
      if (!declared.has(provider) && !BUILTIN_PROVIDERS.has(provider)) {
        findings.push({
          check: 'providers',
          file: block.file,
          message: `${where}: provider "${provider}" is not in this module's required_providers`,
        });
      }
      if (provider !== 'google' && provider !== 'google-beta') {
        unchecked.add(`${block.mode}:${block.type}`);
        continue;
      }
      const schema = google.types.get(`${block.mode}:${block.type}`);
      if (!schema) {
        findings.push({
          check: 'schema',
          file: block.file,
          message: `${where}: google ${google.version} has no ${block.mode} type ${block.type}`,
        });
        continue;
      }
      checkBody(block.body, schema.block, where, block.file, findings, true);
    }
  }
  return { findings, unchecked };
}

/** Every provider must be pinned to one exact version in the root module. */
export function checkPins(root: ModuleDir): Finding[] {
  const findings: Finding[] = [];
  for (const { body, file } of terraformBlocks(root)) {
    for (const providers of asBodies(body.required_providers)) {
      for (const [name, spec] of Object.entries(providers)) {
        const version = isBody(spec) ? spec.version : undefined;
        if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version))
          findings.push({
            check: 'providers',
            file,
            message: `provider ${name} is not pinned to an exact version`,
          });
      }
    }
  }
  return findings;
}

function checkBody(
  body: HclBody,
  schema: BlockSchema,
  where: string,
  file: string,
  findings: Finding[],
  topLevel: boolean,
): void {
  const dynamic = isBody(body.dynamic) ? body.dynamic : {};
  for (const [key, value] of Object.entries(body)) {
    if (topLevel && META_ARGUMENTS.has(key)) continue;
    if (key === 'dynamic') {
      for (const [name, specs] of Object.entries(dynamic)) {
        const nested = schema.blocks.get(name);
        if (!nested) {
          findings.push({
            check: 'schema',
            file,
            message: `${where}: no block "${name}" (dynamic)${suggest(name, schema)}`,
          });
          continue;
        }
        for (const spec of asBodies(specs))
          for (const content of asBodies(spec.content))
            checkBody(content, nested.schema, `${where}.${name}`, file, findings, false);
      }
      continue;
    }
    if (schema.attributes.has(key)) continue;
    const nested = schema.blocks.get(key);
    if (!nested) {
      findings.push({
        check: 'schema',
        file,
        message: `${where}: unsupported argument "${key}"${suggest(key, schema)}`,
      });
      continue;
    }
    for (const inner of asBodies(value))
      checkBody(inner, nested.schema, `${where}.${key}`, file, findings, false);
  }
  for (const [name, required] of schema.attributes)
    if (required && !(name in body))
      findings.push({ check: 'schema', file, message: `${where}: missing required argument "${name}"` });
  for (const [name, nested] of schema.blocks)
    if (nested.required && !(name in body) && !(name in dynamic))
      findings.push({ check: 'schema', file, message: `${where}: missing required block "${name}"` });
}

function suggest(name: string, schema: BlockSchema): string {
  const candidates = [...schema.attributes.keys(), ...schema.blocks.keys()];
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = distance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

function declaredProviders(module: ModuleDir): Set<string> {
  const names = new Set<string>();
  for (const { body } of terraformBlocks(module))
    for (const providers of asBodies(body.required_providers))
      for (const name of Object.keys(providers)) names.add(name);
  return names;
}

/** The provider a block uses: its `provider` meta-argument, else its type's prefix (google_x → google). */
function providerOf(type: string, body: HclBody): string {
  const explicit = typeof body.provider === 'string' ? /^\$\{([\w-]+)/.exec(body.provider)?.[1] : undefined;
  return explicit ?? type.split('_')[0] ?? type;
}
