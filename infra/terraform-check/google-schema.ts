/**
 * The google provider's schema, offline: read from @cdktf/provider-google's `.jsii` manifest (98 MB, provider
 * 6.50.0). Each resource and data-source class names its Terraform type in its docs and takes a config struct
 * whose properties are the arguments (camelCase; the Terraform name is the docs anchor). Loaded once per
 * process into a compact index; the manifest itself is dropped and nothing is cached on disk.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface BlockSchema {
  /** Argument name → required. */
  readonly attributes: ReadonlyMap<string, boolean>;
  readonly blocks: ReadonlyMap<string, { readonly required: boolean; readonly schema: BlockSchema }>;
}

export interface TypeSchema {
  readonly mode: 'resource' | 'data';
  readonly block: BlockSchema;
  /** Attributes an expression may read (arguments and computed ones). */
  readonly readable: ReadonlySet<string>;
}

export interface ProviderSchema {
  readonly version: string;
  readonly types: ReadonlyMap<string, TypeSchema>;
}

interface JsiiType {
  readonly kind?: string;
  readonly datatype?: boolean;
  readonly base?: string;
  readonly docs?: { readonly summary?: string; readonly remarks?: string };
  readonly initializer?: { readonly parameters?: readonly { readonly type?: JsiiTypeRef }[] };
  readonly properties?: readonly JsiiProperty[];
}
interface JsiiProperty {
  readonly name: string;
  readonly optional?: boolean;
  readonly static?: boolean;
  readonly type: JsiiTypeRef;
  readonly docs?: { readonly summary?: string; readonly remarks?: string };
}
type JsiiTypeRef = {
  readonly fqn?: string;
  readonly primitive?: string;
  readonly collection?: { readonly kind: string; readonly elementtype: JsiiTypeRef };
  readonly union?: { readonly types: readonly JsiiTypeRef[] };
};

let loaded: Promise<ProviderSchema> | undefined;

/** The google schema, parsed on first use and shared by every later call in this process. */
export function googleSchema(): Promise<ProviderSchema> {
  loaded ??= load();
  return loaded;
}

async function load(): Promise<ProviderSchema> {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('@cdktf/provider-google/package.json'));
  const manifest = JSON.parse(await readFile(join(root, '.jsii'), 'utf8')) as {
    readonly types: Record<string, JsiiType>;
  };
  const jsii = manifest.types;
  const structs = new Map<string, BlockSchema>();
  const types = new Map<string, TypeSchema>();
  let version = '';
  for (const cls of Object.values(jsii)) {
    if (cls.kind !== 'class' || !cls.properties?.some((p) => p.static && p.name === 'tfResourceType'))
      continue;
    const mode =
      cls.base === 'cdktf.TerraformResource'
        ? 'resource'
        : cls.base === 'cdktf.TerraformDataSource'
          ? 'data'
          : null;
    const link = /\{@link (\S+) ([a-z0-9_]+)\}/.exec(cls.docs?.summary ?? '');
    const configFqn = cls.initializer?.parameters?.[2]?.type?.fqn;
    if (!mode || !link?.[2] || !configFqn) continue;
    version ||= /\/providers\/hashicorp\/google\/([\d.]+)\//.exec(link[1] ?? '')?.[1] ?? '';
    const block = struct(configFqn, jsii, structs);
    const readable = new Set<string>([...block.attributes.keys(), ...block.blocks.keys(), 'id']);
    for (const p of cls.properties ?? []) {
      if (!p.static && !p.name.endsWith('Input')) readable.add(snake(p.name));
    }
    types.set(`${mode}:${link[2]}`, { mode, block, readable });
  }
  return { version, types };
}

function struct(fqn: string, jsii: Record<string, JsiiType>, memo: Map<string, BlockSchema>): BlockSchema {
  const known = memo.get(fqn);
  if (known) return known;
  const attributes = new Map<string, boolean>();
  const blocks = new Map<string, { required: boolean; schema: BlockSchema }>();
  const schema: BlockSchema = { attributes, blocks };
  memo.set(fqn, schema); // before recursing: nested structs may refer back
  for (const p of jsii[fqn]?.properties ?? []) {
    const name = terraformName(p);
    if (META_ARGUMENTS.has(name) && fqn.endsWith('Config')) continue;
    const nested = structOf(p.type, jsii);
    if (nested) blocks.set(name, { required: !p.optional, schema: struct(nested, jsii, memo) });
    else attributes.set(name, !p.optional);
  }
  return schema;
}

/** The struct fqn of a property that is a nested block (single, list, or list behind IResolvable). */
function structOf(type: JsiiTypeRef, jsii: Record<string, JsiiType>): string | null {
  if (type.fqn && jsii[type.fqn]?.datatype) return type.fqn;
  if (type.collection?.kind === 'array') return structOf(type.collection.elementtype, jsii);
  for (const member of type.union?.types ?? []) {
    const found = structOf(member, jsii);
    if (found) return found;
  }
  return null;
}

/** The Terraform name from the docs anchor (`…#build_config …`), else the camelCase name in snake_case. */
function terraformName(p: JsiiProperty): string {
  const docs = `${p.docs?.summary ?? ''} ${p.docs?.remarks ?? ''}`;
  return /\{@link \S+#([a-z0-9_]+) /.exec(docs)?.[1] ?? snake(p.name);
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Terraform's own arguments, valid on every resource and data source. */
export const META_ARGUMENTS: ReadonlySet<string> = new Set([
  'count',
  'for_each',
  'depends_on',
  'provider',
  'lifecycle',
  'provisioner',
  'connection',
]);
