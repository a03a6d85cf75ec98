/**
 * `npm run strata -- <command>`: tenants and API keys, against the configured durable tier
 * (DATABASE_URL, or the embedded PGlite in STRATA_DATA_DIR — stop `npm start` first: PGlite is single-process),
 * and the consistency check across every configured tier.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { generateApiKey, hashApiKey } from '../lib/auth/api-keys.ts';
import { loadConfig } from '../lib/config.ts';
import { checkConsistency } from '../lib/lifecycle/consistency.ts';
import { formatConsistencyReport } from '../lib/lifecycle/consistency-format.ts';
import { createLogger, silentLogger } from '../lib/observability/logger.ts';
import { openTiers, type Tiers } from '../lib/runtime/tiers.ts';
import type { PlanName } from '../lib/tiers/durable/port.ts';

const PLAN_NAMES: readonly PlanName[] = ['free', 'early', 'mid', 'enterprise'];

function plan(value: string): PlanName {
  if (!(PLAN_NAMES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`plan must be one of ${PLAN_NAMES.join(', ')}`);
  }
  return value as PlanName;
}

async function withTiers<T>(work: (tiers: Tiers) => Promise<T>): Promise<T> {
  const config = loadConfig();
  await mkdir(config.dataDir, { recursive: true });
  const tiers = await openTiers(config, createLogger('warn'));
  try {
    return await work(tiers);
  } finally {
    await tiers.close();
  }
}

const program = new Command('strata').description('Strata administration');
const tenants = program.command('tenants').description('tenants and their plans');

tenants
  .command('create')
  .description('create a tenant and its first API key (shown once)')
  .requiredOption('--name <name>', 'a name people recognise')
  .option('--plan <plan>', `one of ${PLAN_NAMES.join(', ')}`, plan, 'free' as PlanName)
  .option('--id <id>', 'tenant id (default: a random one)')
  .action(async (options: { name: string; plan: PlanName; id?: string }) => {
    await withTiers(async ({ durable }) => {
      // An existing tenant keeps its name and plan; minting it a key here would hide that it exists.
      if (options.id !== undefined && (await durable.getTenant(options.id))) {
        throw new Error(
          `tenant "${options.id}" exists already: \`keys create ${options.id}\` gives it a new key, \`tenants set-plan\` changes its plan`,
        );
      }
      const tenant = await durable.createTenant({
        id: options.id ?? `t_${randomUUID()}`,
        name: options.name,
        plan: options.plan,
      });
      const key = generateApiKey();
      await durable.addApiKey(tenant.id, { keyHash: hashApiKey(key), label: 'created with the CLI' });
      console.log(JSON.stringify({ tenant, apiKey: key }, null, 2));
    });
  });

tenants
  .command('set-plan <tenantId> <plan>')
  .description('change a tenant plan')
  .action(async (tenantId: string, planName: string) => {
    const chosen = plan(planName);
    await withTiers(async ({ durable }) => {
      const tenant = await durable.setPlan(tenantId, chosen);
      if (!tenant) throw new Error(`no tenant "${tenantId}"`);
      console.log(JSON.stringify(tenant, null, 2));
    });
  });

const keys = program.command('keys').description('API keys');

keys
  .command('create <tenantId>')
  .description('add an API key to a tenant (shown once)')
  .option('--label <label>', 'what the key is for', 'created with the CLI')
  .action(async (tenantId: string, options: { label: string }) => {
    await withTiers(async ({ durable }) => {
      if (!(await durable.getTenant(tenantId))) throw new Error(`no tenant "${tenantId}"`);
      const key = generateApiKey();
      await durable.addApiKey(tenantId, { keyHash: hashApiKey(key), label: options.label });
      console.log(key);
    });
  });

keys
  .command('revoke <apiKey>')
  .description('revoke an API key (running instances forget it within 30 s)')
  .action(async (apiKey: string) => {
    await withTiers(async ({ durable }) => {
      const revoked = await durable.revokeApiKey(hashApiKey(apiKey));
      console.log(revoked ? 'revoked' : 'no such key');
      if (!revoked) process.exitCode = 1;
    });
  });

function isoTime(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('give a time in ISO 8601, e.g. 2025-01-31T00:00:00Z');
  return ms;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('give a whole number of at least 1');
  return n;
}

interface CheckOptions {
  repair: boolean;
  makeDurable: boolean;
  since?: number;
  limit?: number;
}

/** A bar for a person watching a terminal; piped or redirected output gets the summary alone. */
function progressBar(): { onProgress?: (done: number, total?: number) => void; stop(): void } {
  if (!process.stdout.isTTY) return { stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: 'checking runs [{bar}] {value}/{total}', stream: process.stdout, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress(done, total) {
      if (!started) bar.start(total ?? done, 0);
      started = true;
      if (total === undefined) bar.setTotal(done);
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

program
  .command('check')
  .description("compare each run's head version and hash across the tiers; with --repair, fix the drift")
  .option('--repair', 'repair what may be repaired: the newest durable copy wins', false)
  .option('--make-durable', 'with --repair, also commit the hot-only head of live runs durably', false)
  .option('--since <time>', 'only runs updated since this ISO 8601 time (default: every run)', isoTime)
  .option('--limit <n>', 'stop after this many runs', positiveInt)
  .action(async (options: CheckOptions) => {
    await withTiers(async (tiers) => {
      const bar = progressBar();
      const deps = {
        hot: tiers.hot,
        durable: tiers.durable,
        runScan: tiers.durable.runScan,
        ...(tiers.archive && { archive: tiers.archive }),
        ...(tiers.fallback && { fallback: tiers.fallback }),
        log: silentLogger, // the report below says it all
      };
      const report = await checkConsistency(deps, {
        repair: options.repair,
        makeDurable: options.makeDurable,
        ...(options.since !== undefined && { updatedSince: options.since }),
        ...(options.limit !== undefined && { limit: options.limit }),
        ...(bar.onProgress && { onProgress: bar.onProgress }),
      }).finally(bar.stop);
      console.log(formatConsistencyReport(report, { repair: options.repair }));
      if (report.failures > 0) process.exitCode = 1;
    });
  });

await program.parseAsync().catch((error: unknown) => {
  console.error(`strata: ${(error as Error).message}`);
  process.exit(1);
});
