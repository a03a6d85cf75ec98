/**
 * Bundles the module Worker (functions/worker/index.ts) into one ES module for workerd with esbuild:
 * `npx tsx scripts/build-worker.ts [outfile]` (default .tmp/worker/strata-worker.mjs). The test suite builds
 * it in memory through `buildWorker()`. The build fails when the bundle would pull in a backend that cannot
 * run in a Worker, or keep a dynamic import workerd's module walker refuses; it reports which `node:*`
 * built-ins remain (each needs the `nodejs_compat` flag) and which source modules import them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WORKER_ENTRY = resolve(ROOT, 'functions/worker/index.ts');

/** Packages that must never reach the bundle: Node-only transports and the embedded engines. */
const FORBIDDEN = [
  'node_modules/ws/',
  'node_modules/pg/',
  '@electric-sql/pglite',
  'node_modules/chdb',
  'pino/pino.js',
];

/** The compatibility flags the bundle needs, for Miniflare and a wrangler config alike. */
export const WORKER_COMPATIBILITY_FLAGS = ['nodejs_compat'] as const;
export const WORKER_COMPATIBILITY_DATE = '2026-04-01';

/**
 * Modules reached only through re-exports the Worker never calls, whose top level does Node-only work at load
 * time: lib/tiers/archive/clickhouse.ts re-exports migrate.ts, which resolves its migrations folder from
 * `import.meta.url` on load (workerd: "Invalid URL string" before the first request). Marked free of side
 * effects, esbuild drops them when nothing uses them; the build fails if one is still bundled.
 */
const UNUSED_IN_WORKER = ['lib/tiers/archive/migrate.ts'];

const dropUnused: Plugin = {
  name: 'strata-drop-unused',
  setup(build) {
    build.onResolve({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith('.')) return undefined;
      const path = resolve(args.resolveDir, args.path);
      return UNUSED_IN_WORKER.includes(relative(ROOT, path)) ? { path, sideEffects: false } : undefined;
    });
  },
};

export interface WorkerBundle {
  /** The bundle, one ES module: what Miniflare's `modules` lists and a deploy uploads. */
  readonly code: string;
  /** Each `node:*` built-in the bundle imports → the repository files that import it. */
  readonly nodeBuiltins: ReadonlyMap<string, readonly string[]>;
  /** Every input file that contributes code, relative to the repository. */
  readonly inputs: readonly string[];
}

export async function buildWorker(): Promise<WorkerBundle> {
  const result = await build({
    entryPoints: [WORKER_ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    // workerd first, then what a Worker is otherwise: a browser-like runtime (pino resolves to its console build).
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    // Provided by workerd under nodejs_compat; listed, not bundled.
    external: ['node:*'],
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
    plugins: [dropUnused],
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output');
  const inputs = Object.keys(result.metafile.inputs);
  const forbidden = inputs.filter((input) => FORBIDDEN.some((name) => input.includes(name)));
  if (forbidden.length > 0) {
    throw new Error(
      `the Worker bundle must not include ${forbidden.join(', ')}: import only HTTP-native backends`,
    );
  }
  const kept = keptInOutput(result.metafile).filter((input) => UNUSED_IN_WORKER.includes(input));
  if (kept.length > 0) {
    throw new Error(
      `${kept.join(', ')} must not run in the Worker, but the bundle uses it: import around it`,
    );
  }
  const dynamic = dynamicImports(result.metafile);
  if (dynamic.length > 0) {
    throw new Error(`workerd refuses dynamic imports; the bundle keeps: ${dynamic.join(', ')}`);
  }
  return {
    code: output.text,
    nodeBuiltins: nodeBuiltinsOf(result.metafile),
    inputs: keptInOutput(result.metafile),
  };
}

function nodeBuiltinsOf(metafile: Metafile): Map<string, string[]> {
  const builtins = new Map<string, string[]>();
  const kept = new Set(keptInOutput(metafile));
  for (const [file, input] of Object.entries(metafile.inputs)) {
    if (!kept.has(file)) continue;
    for (const imported of input.imports) {
      if (!imported.external || !imported.path.startsWith('node:')) continue;
      const importers = builtins.get(imported.path) ?? [];
      if (!importers.includes(file)) importers.push(file);
      builtins.set(imported.path, importers);
    }
  }
  return new Map([...builtins].sort(([a], [b]) => a.localeCompare(b)));
}

/** Inputs that contribute code to the output (tree-shaken ones appear in `inputs` with 0 bytes). */
function keptInOutput(metafile: Metafile): string[] {
  return Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, contribution]) => contribution.bytesInOutput > 0)
      .map(([input]) => input),
  );
}

function dynamicImports(metafile: Metafile): string[] {
  return Object.entries(metafile.inputs).flatMap(([file, input]) =>
    input.imports
      .filter((imported) => imported.kind === 'dynamic-import' && imported.external)
      .map((imported) => `${imported.path} (in ${file})`),
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outfile = resolve(process.argv[2] ?? resolve(ROOT, '.tmp/worker/strata-worker.mjs'));
  const bundle = await buildWorker();
  await mkdir(dirname(outfile), { recursive: true });
  await writeFile(outfile, bundle.code);
  console.log(
    `${relative(process.cwd(), outfile)}: ${(bundle.code.length / 1024).toFixed(0)} KiB, ${bundle.inputs.length} modules`,
  );
  console.log(
    `compatibility flags: ${WORKER_COMPATIBILITY_FLAGS.join(', ')} (date ${WORKER_COMPATIBILITY_DATE}), for:`,
  );
  for (const [builtin, importers] of bundle.nodeBuiltins)
    console.log(`  ${builtin}  ← ${importers.join(', ')}`);
}
