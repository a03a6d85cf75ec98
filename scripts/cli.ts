/**
 * `npm run strata -- <command>`: tenants and API keys, against the configured durable tier
 * (DATABASE_URL, or the embedded PGlite in STRATA_DATA_DIR — stop `npm start` first: PGlite is single-process).
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { generateApiKey, hashApiKey } from '../lib/auth/api-keys.ts';
import { loadConfig } from '../lib/config.ts';
import { createLogger } from '../lib/observability/logger.ts';
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

await program.parseAsync().catch((error: unknown) => {
  console.error(`strata: ${(error as Error).message}`);
  process.exit(1);
});
