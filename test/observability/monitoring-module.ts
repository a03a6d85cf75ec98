/** Reads terraform/modules/monitoring and the dashboards as data, for the tests that check them against the code. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from '@cdktn/hcl2json';

export const MODULE_DIR = 'terraform/modules/monitoring';
export const CLOUD_DASHBOARD = join(MODULE_DIR, 'dashboard.json');
export const GRAFANA_DASHBOARD = 'dashboards/grafana/strata.json';

/** hcl2json's shape: every block is a list of objects; attributes are plain values or "${…}" strings. */
export type Hcl = Record<string, unknown>;

export interface MonitoringModule {
  /** Every .tf file of the module, parsed, by file name. */
  readonly files: Readonly<Record<string, Hcl>>;
  /** The raw text of every .tf file, by file name. */
  readonly texts: Readonly<Record<string, string>>;
  readonly resources: (type: string) => Readonly<Record<string, Hcl>>;
  readonly locals: Readonly<Record<string, unknown>>;
}

export async function readMonitoringModule(): Promise<MonitoringModule> {
  const names = (await readdir(MODULE_DIR)).filter((name) => name.endsWith('.tf')).sort();
  const files: Record<string, Hcl> = {};
  const texts: Record<string, string> = {};
  for (const name of names) {
    texts[name] = await readFile(join(MODULE_DIR, name), 'utf8');
    files[name] = (await parse(name, texts[name])) as Hcl;
  }
  const resources = (type: string) => {
    const found: Record<string, Hcl> = {};
    for (const file of Object.values(files)) {
      const byName = ((file.resource as Hcl | undefined)?.[type] ?? {}) as Record<string, Hcl[]>;
      for (const [name, [block]] of Object.entries(byName)) if (block) found[name] = block;
    }
    return found;
  };
  const locals: Record<string, unknown> = {};
  for (const file of Object.values(files)) {
    for (const block of (file.locals as Hcl[] | undefined) ?? []) Object.assign(locals, block);
  }
  return { files, texts, resources, locals };
}

/** The first (only) nested block `name` of an hcl2json block. */
export function block(of: Hcl | undefined, name: string): Hcl | undefined {
  const list = of?.[name];
  return Array.isArray(list) ? (list[0] as Hcl | undefined) : undefined;
}

export const readJson = async (path: string): Promise<unknown> => JSON.parse(await readFile(path, 'utf8'));

/** Every string anywhere in a JSON-like value. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}
