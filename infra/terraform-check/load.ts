/** Reads a Terraform tree: every module directory, each `.tf` file parsed with @cdktn/hcl2json (the parse check). */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse } from '@cdktn/hcl2json';
import type { BlockRef, Finding, HclBody, HclValue, ModuleDir, SourceFile } from './types.ts';

export async function loadTree(root: string): Promise<{ modules: ModuleDir[]; findings: Finding[] }> {
  const findings: Finding[] = [];
  const modules: ModuleDir[] = [];
  for (const dir of await directories(root)) {
    const names = (await readdir(dir)).filter((name) => name.endsWith('.tf')).sort();
    if (names.length === 0) continue;
    const files: SourceFile[] = [];
    for (const name of names) files.push(await parseFile(root, join(dir, name), findings));
    modules.push({ dir: relative(root, dir), files });
  }
  return { modules, findings };
}

/** Parses one HCL file (`.tf` or `.tfvars`); a syntax error becomes a `parse` finding and a null body. */
export async function parseFile(root: string, path: string, findings: Finding[]): Promise<SourceFile> {
  const text = await readFile(path, 'utf8');
  const file = relative(root, path);
  try {
    return { path: file, text, body: (await parse(file, text)) as HclBody };
  } catch (error) {
    findings.push({ check: 'parse', file, message: String(error instanceof Error ? error.message : error) });
    return { path: file, text, body: null };
  }
}

async function directories(root: string): Promise<string[]> {
  const found = [root];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    found.push(...(await directories(join(root, entry.name))));
  }
  return found;
}

export function isBody(value: HclValue | undefined): value is HclBody {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The bodies of a block kind: `variable "x" {}` parses as { variable: { x: [ {…} ] } }. */
export function labelled(module: ModuleDir, kind: string): { name: string; body: HclBody; file: string }[] {
  const out: { name: string; body: HclBody; file: string }[] = [];
  for (const file of module.files) {
    const group = file.body?.[kind];
    if (!isBody(group)) continue;
    for (const [name, bodies] of Object.entries(group))
      for (const body of asBodies(bodies)) out.push({ name, body, file: file.path });
  }
  return out;
}

export function blocks(module: ModuleDir): BlockRef[] {
  const out: BlockRef[] = [];
  for (const mode of ['resource', 'data'] as const) {
    for (const file of module.files) {
      const group = file.body?.[mode];
      if (!isBody(group)) continue;
      for (const [type, named] of Object.entries(group)) {
        if (!isBody(named)) continue;
        for (const [name, bodies] of Object.entries(named))
          for (const body of asBodies(bodies)) out.push({ mode, type, name, body, file: file.path });
      }
    }
  }
  return out;
}

/** Every `locals` entry of a module: name → expression (or literal), with its file. */
export function locals(module: ModuleDir): Map<string, { value: HclValue; file: string }> {
  const out = new Map<string, { value: HclValue; file: string }>();
  for (const file of module.files) {
    for (const body of asBodies(file.body?.locals)) {
      for (const [name, value] of Object.entries(body)) out.set(name, { value, file: file.path });
    }
  }
  return out;
}

/** The `terraform {}` blocks of a module. */
export function terraformBlocks(module: ModuleDir): { body: HclBody; file: string }[] {
  return module.files.flatMap((file) =>
    asBodies(file.body?.terraform).map((body) => ({ body, file: file.path })),
  );
}

export function asBodies(value: HclValue | undefined): HclBody[] {
  if (Array.isArray(value)) return value.filter(isBody);
  return isBody(value) ? [value] : [];
}
