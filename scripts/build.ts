/**
 * `npm run build`: the production bundle Cloud Functions (`nodejs22`) runs. esbuild bundles functions/index.ts
 * (every function, registered with functions-framework) into `dist/` with a `dist/package.json` that lists
 * only the production dependencies the bundle still imports; `dist/` is what gets zipped and deployed.
 */

import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Packages kept out of the bundle, installed by Cloud Build's `npm install` in dist/ instead.
 * - functions-framework: its CLI (`npm start`) and the bundle must share one function registry.
 * - @google-cloud/storage: reads its own package.json at run time, and is imported only when STRATA_FALLBACK=gcs.
 * - pino: resolves its worker-thread transports from files at run time.
 * - ws: loads the optional native addons bufferutil / utf-8-validate when they are installed.
 */
export const EXTERNAL_PACKAGES = ['@google-cloud/functions-framework', '@google-cloud/storage', 'pino', 'ws'];

/**
 * The embedded defaults of `npm start` that have no place in a deploy (chDB is a 540 MB dev dependency; PGlite
 * keeps its data on an instance's memory disk). The bundle gets a module that refuses with the fix instead.
 */
const DEV_ONLY: Readonly<Record<string, string>> = {
  'infra/chdb-http/index.ts':
    'embedded chDB (STRATA_ARCHIVE=chdb) is for development and is not in the deployed bundle: set CLICKHOUSE_URL, or STRATA_ARCHIVE=none',
  'lib/tiers/durable/pglite.ts':
    'embedded PGlite (STRATA_DURABLE=pglite) is for development and is not in the deployed bundle: set DATABASE_URL',
};

/** Bundled CommonJS calls `require` for Node built-ins, which an ES module does not have. */
const REQUIRE_SHIM =
  "import { createRequire as __strataCreateRequire } from 'node:module'; const require = __strataCreateRequire(import.meta.url);";

export interface BuildOptions {
  /** @default "<repo>/dist" */
  readonly outDir?: string;
  /** @default true */
  readonly print?: boolean;
}

export interface BuildResult {
  readonly outDir: string;
  /** Bytes of JavaScript (source maps apart). */
  readonly bundleBytes: number;
  readonly external: readonly string[];
  readonly dependencies: Readonly<Record<string, string>>;
  /** Repository paths bundled in (no node_modules). */
  readonly sources: readonly string[];
}

const devOnlyStubs: Plugin = {
  name: 'strata-dev-only',
  setup(b) {
    b.onResolve({ filter: /\.ts$/ }, (args) => {
      const path = relative(ROOT, resolve(args.resolveDir, args.path));
      return path in DEV_ONLY ? { path, namespace: 'strata-dev-only' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'strata-dev-only' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(DEV_ONLY[args.path])});`,
      loader: 'js',
    }));
  },
};

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`; `node:fs` → null. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith('node:') || specifier.startsWith('.') || specifier.startsWith('/')) return null;
  // Bundled CommonJS packages (prom-client) require built-ins without the node: prefix.
  if (builtinModules.includes(specifier.split('/')[0] ?? '')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? null);
}

interface PackageJson {
  readonly version: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}
interface PackageLock {
  readonly packages: Readonly<Record<string, { readonly version?: string }>>;
}

const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

/** The packages the bundle imports at run time, checked against package.json: none may be a dev dependency. */
function externalPackages(metafile: Metafile, pkg: PackageJson): string[] {
  const found = new Set<string>();
  for (const output of Object.values(metafile.outputs))
    for (const imported of output.imports) {
      const name = imported.external ? packageOf(imported.path) : null;
      if (name) found.add(name);
    }
  for (const name of found) {
    if (name in pkg.devDependencies)
      throw new Error(`the production bundle imports the dev dependency ${name}: keep it out of functions/`);
    if (!(name in pkg.dependencies))
      throw new Error(`the production bundle imports ${name}, which package.json does not list`);
  }
  return [...found].sort();
}

export async function buildFunctions(options: BuildOptions = {}): Promise<BuildResult> {
  const outDir = resolve(options.outDir ?? join(ROOT, 'dist'));
  const say = options.print === false ? () => {} : (line: string) => console.log(line);
  const pkg = await readJson<PackageJson>(join(ROOT, 'package.json'));
  const lock = await readJson<PackageLock>(join(ROOT, 'package-lock.json'));
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { index: 'functions/index.ts' },
    outdir: outDir,
    bundle: true,
    platform: 'node',
    // Cloud Functions runs nodejs22; the same output runs on Node 20 (these machines), checked by
    // test/build/built-artifact.int.test.ts.
    target: 'node22',
    format: 'esm',
    // The tier backends stay lazily imported chunks: a cold start loads only what the configuration names.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    external: EXTERNAL_PACKAGES,
    banner: { js: REQUIRE_SHIM },
    plugins: [devOnlyStubs],
  });

  // node_modules may be a symlink (worktrees), so its files can appear as ../<elsewhere>/node_modules/….
  const sources = Object.keys(result.metafile.inputs).filter(
    (path) => !path.includes('node_modules/') && !path.startsWith('strata-dev-only:'),
  );
  const strays = sources.filter((path) => path.startsWith('infra/') || path.startsWith('test/'));
  if (strays.length > 0) throw new Error(`dev-only sources reached the bundle: ${strays.join(', ')}`);
  const external = externalPackages(result.metafile, pkg);
  const dependencies: Record<string, string> = {};
  for (const name of external) {
    const version = lock.packages[`node_modules/${name}`]?.version;
    if (!version) throw new Error(`package-lock.json has no version of ${name}: run npm install`);
    dependencies[name] = version;
  }
  const manifest = {
    name: 'strata-functions',
    version: pkg.version,
    private: true,
    description: 'Strata, bundled for Google Cloud Functions (built by scripts/build.ts; do not edit).',
    type: 'module',
    main: 'index.js',
    engines: { node: '>=22' },
    scripts: { start: 'functions-framework' },
    dependencies,
  };
  await writeFile(join(outDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  let bundleBytes = 0;
  let mapBytes = 0;
  for (const file of Object.keys(result.metafile.outputs)) {
    const { size } = await stat(join(ROOT, file));
    if (file.endsWith('.map')) mapBytes += size;
    else bundleBytes += size;
  }
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  say(`built ${outDir}: ${kib(bundleBytes)} of JavaScript (+ ${kib(mapBytes)} maps)`);
  say(`  ${sources.length} source files; external: ${external.join(', ')}`);
  say(`  dev-only, refused in the bundle: ${Object.keys(DEV_ONLY).join(', ')}`);
  return { outDir, bundleBytes, external, dependencies, sources };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outIndex = process.argv.indexOf('--outdir');
  const outDir = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
  await buildFunctions(outDir ? { outDir } : {});
}
