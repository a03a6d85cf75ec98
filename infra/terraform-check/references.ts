/**
 * The references check: every `var.x`, `local.x`, `module.m.output`, `data.t.n` and `type.name[.attr]` in a
 * module resolves to something declared there (a module's outputs in its own directory; a google resource's
 * attribute in the provider schema). Also returns the variables each module reads, for the variables check.
 */
import { join, normalize } from 'node:path';
import { referencesIn } from './expressions.ts';
import type { ProviderSchema } from './google-schema.ts';
import { asBodies, blocks, isBody, labelled, locals } from './load.ts';
import type { Finding, HclBody, HclValue, ModuleDir } from './types.ts';

const BUILTIN_ROOTS = new Set(['each', 'count', 'self', 'path', 'terraform']);

export interface ReferenceReport {
  readonly findings: Finding[];
  /** Module dir → the variable names its expressions read. */
  readonly varsUsed: Map<string, Set<string>>;
}

export function checkReferences(modules: readonly ModuleDir[], google: ProviderSchema): ReferenceReport {
  const findings: Finding[] = [];
  const varsUsed = new Map<string, Set<string>>();
  const byDir = new Map(modules.map((m) => [m.dir, m]));
  for (const module of modules) {
    const used = new Set<string>();
    varsUsed.set(module.dir, used);
    const scope = scopeOf(module, byDir);
    for (const file of module.files) {
      if (!file.body) continue;
      for (const text of expressions(file.body)) {
        for (const { parts } of referencesIn(text)) {
          if (parts[0] === 'var' && parts[1]) used.add(parts[1]);
          const problem = resolve(parts, scope, google);
          if (problem)
            findings.push({
              check: 'references',
              file: file.path,
              message: `${parts.join('.')}: ${problem}`,
            });
        }
      }
    }
  }
  return { findings, varsUsed };
}

interface Scope {
  readonly variables: Set<string>;
  readonly locals: Set<string>;
  /** Module name → its outputs (null when its source is not a local directory) and whether it repeats. */
  readonly modules: Map<string, { outputs: Set<string> | null; repeated: boolean }>;
  /** `resource:type.name` / `data:type.name` → whether it repeats (count / for_each). */
  readonly blocks: Map<string, boolean>;
  readonly iterators: Set<string>;
}

function scopeOf(module: ModuleDir, byDir: Map<string, ModuleDir>): Scope {
  const modulesInScope = new Map<string, { outputs: Set<string> | null; repeated: boolean }>();
  for (const call of labelled(module, 'module')) {
    const source = typeof call.body.source === 'string' ? call.body.source : '';
    const child = source.startsWith('.') ? byDir.get(normalize(join(module.dir, source))) : undefined;
    modulesInScope.set(call.name, {
      outputs: child ? new Set(labelled(child, 'output').map((o) => o.name)) : null,
      repeated: 'count' in call.body || 'for_each' in call.body,
    });
  }
  const iterators = new Set<string>();
  for (const file of module.files) if (file.body) collectIterators(file.body, iterators);
  return {
    variables: new Set(labelled(module, 'variable').map((v) => v.name)),
    locals: new Set(locals(module).keys()),
    modules: modulesInScope,
    blocks: new Map(
      blocks(module).map((b) => [`${b.mode}:${b.type}.${b.name}`, 'count' in b.body || 'for_each' in b.body]),
    ),
    iterators,
  };
}

function resolve(parts: readonly string[], scope: Scope, google: ProviderSchema): string | null {
  const [root, name, ...rest] = parts;
  if (!root || BUILTIN_ROOTS.has(root) || scope.iterators.has(root)) return null;
  if (root === 'var') return name && scope.variables.has(name) ? null : 'no such variable in this module';
  if (root === 'local') return name && scope.locals.has(name) ? null : 'no such local value';
  if (root === 'module') {
    const called = name ? scope.modules.get(name) : undefined;
    if (!called) return 'no such module call';
    const output = called.repeated ? rest[1] : rest[0];
    if (!output || !called.outputs || called.outputs.has(output)) return null;
    return `module ${name} has no output "${output}"`;
  }
  if (root === 'data') {
    const [type, dataName, ...attrs] = [name, ...rest];
    return checkBlock('data', type, dataName, attrs, scope, google);
  }
  if (!root.includes('_') || !name) return parts.length > 1 ? `unknown symbol "${root}"` : null;
  return checkBlock('resource', root, name, rest, scope, google);
}

function checkBlock(
  mode: 'resource' | 'data',
  type: string | undefined,
  name: string | undefined,
  attrs: readonly string[],
  scope: Scope,
  google: ProviderSchema,
): string | null {
  const repeated = scope.blocks.get(`${mode}:${type}.${name}`);
  if (repeated === undefined) return `no ${mode} ${type}.${name} in this module`;
  const attr = repeated ? attrs[1] : attrs[0];
  const schema = type?.startsWith('google') ? google.types.get(`${mode}:${type}`) : undefined;
  if (!attr || !schema || schema.readable.has(attr)) return null;
  return `${type} has no attribute "${attr}"`;
}

/** Every string of a file that Terraform evaluates (not variable types, not ignore_changes, not `terraform {}`). */
function expressions(body: HclBody): string[] {
  const out: string[] = [];
  const walk = (value: HclValue | undefined): void => {
    if (typeof value === 'string') {
      if (value.includes('${') || value.includes('%{')) out.push(value);
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item);
    } else if (isBody(value)) {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'ignore_changes' || (key === 'provider' && typeof inner === 'string')) continue;
        walk(inner);
      }
    }
  };
  for (const [kind, group] of Object.entries(body)) {
    if (kind === 'terraform') continue;
    if (kind === 'variable' && isBody(group)) {
      for (const bodies of Object.values(group))
        for (const variable of asBodies(bodies))
          for (const [key, inner] of Object.entries(variable)) if (key !== 'type') walk(inner);
      continue;
    }
    walk(group);
  }
  return out;
}

function collectIterators(value: HclValue, into: Set<string>): void {
  if (Array.isArray(value)) for (const item of value) collectIterators(item, into);
  if (!isBody(value)) return;
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'dynamic' && isBody(inner)) {
      for (const [name, specs] of Object.entries(inner)) {
        into.add(name);
        for (const spec of asBodies(specs)) if (typeof spec.iterator === 'string') into.add(spec.iterator);
      }
    }
    collectIterators(inner, into);
  }
}
