/** The development tenant of `npm start`: created once, its API key kept in the data folder so restarts reuse it. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateApiKey, hashApiKey } from '../auth/api-keys.ts';
import type { TenantDirectory } from '../tiers/durable/port.ts';

const DEV_TENANT = 'dev';

export async function ensureDevApiKey(directory: TenantDirectory, dataDir: string): Promise<string> {
  const file = join(dataDir, 'dev-api-key');
  const existing = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => null,
  );
  if (existing && (await directory.findTenantByKeyHash(hashApiKey(existing)))?.id === DEV_TENANT)
    return existing;
  if (!(await directory.getTenant(DEV_TENANT))) {
    // Enterprise: every save durable, so a local run shows the whole durability contract.
    await directory.createTenant({ id: DEV_TENANT, name: 'Local development', plan: 'enterprise' });
  }
  const key = generateApiKey();
  await directory.addApiKey(DEV_TENANT, { keyHash: hashApiKey(key), label: 'npm start' });
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}
