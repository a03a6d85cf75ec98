/** API keys: random secrets shown once, stored only as sha256 hashes, each belonging to one tenant. */
import { createHash, randomBytes } from 'node:crypto';
import * as v from 'valibot';
import { TierUnavailable, Unauthorized } from '../errors.ts';
import { PLANS } from '../plans.ts';
import type { PlanName, Tenant, TenantDirectory } from '../tiers/durable/port.ts';
import type { HotTier } from '../tiers/hot/port.ts';

const PREFIX = 'sk_strata_';

/** A tenant as another instance kept it in the hot tier: checked before it is trusted. */
const SharedTenantSchema = v.strictObject({
  id: v.pipe(v.string(), v.minLength(1)),
  name: v.string(),
  plan: v.picklist(Object.keys(PLANS) as PlanName[]),
  createdAt: v.number(),
});

export function generateApiKey(): string {
  return PREFIX + randomBytes(24).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The bearer token of an Authorization header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<Tenant>;
  /** Forget cached lookups (after a revocation in the same process). */
  clear(): void;
}

/**
 * Resolves keys through the tenant directory, caching answers for a short while so a hot save stays one Redis
 * round trip instead of paying a Postgres lookup on every request. A revoked key stops working within `cacheMs`.
 * While Postgres cannot answer, a key it vouched for within `staleIfErrorMs` is still accepted: an outage of the
 * durable tier must not turn every save that Redis alone can take into a 503 once the entry expires (seen in the
 * chaos flows on three instances). With `shared` (the hot tier), what Postgres answered for a valid key is also
 * kept there for `staleIfErrorMs`, so an instance that never saw the key (a cold start during the outage) can
 * check it too. A key never vouched for still needs Postgres.
 */
export function createAuthenticator(
  directory: Pick<TenantDirectory, 'findTenantByKeyHash'>,
  options: {
    cacheMs?: number;
    staleIfErrorMs?: number;
    maxEntries?: number;
    now?: () => number;
    shared?: Pick<HotTier, 'rememberCredential' | 'recallCredential'>;
  } = {},
): Authenticator {
  const cacheMs = options.cacheMs ?? 30_000;
  const staleIfErrorMs = options.staleIfErrorMs ?? 15 * 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { tenant: Tenant | null; until: number }>();
  const { shared } = options;
  /** What another instance learnt from Postgres for the key, or null (none, unreadable, or Redis down too). */
  const recall = async (keyHash: string): Promise<Tenant | null> => {
    const text = await shared?.recallCredential(keyHash).catch(() => null);
    if (!text) return null;
    try {
      const parsed = v.safeParse(SharedTenantSchema, JSON.parse(text));
      return parsed.success ? parsed.output : null;
    } catch {
      return null; // not JSON: as good as nothing kept
    }
  };

  return {
    async authenticate(authorization) {
      const token = bearerToken(authorization);
      if (!token) throw new Unauthorized('send "Authorization: Bearer <api key>"');
      const keyHash = hashApiKey(token);
      const cached = cache.get(keyHash);
      let tenant: Tenant | null;
      if (cached && cached.until > now()) {
        tenant = cached.tenant;
      } else {
        try {
          tenant = await directory.findTenantByKeyHash(keyHash);
        } catch (error) {
          if (!(error instanceof TierUnavailable)) throw error;
          const vouched = cached?.tenant;
          if (vouched && now() - (cached.until - cacheMs) < staleIfErrorMs) return vouched;
          const recalled = await recall(keyHash);
          if (recalled) return recalled;
          throw error;
        }
        // Shared with the other instances, once per local lookup (every cacheMs at most), never awaited.
        if (tenant && shared)
          shared
            .rememberCredential(keyHash, JSON.stringify(tenant), Math.ceil(staleIfErrorMs / 1000))
            .catch(() => {});
        cache.delete(keyHash); // re-inserted last: eviction goes oldest first
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
        cache.set(keyHash, { tenant, until: now() + cacheMs });
      }
      if (!tenant) throw new Unauthorized('the API key is not valid');
      return tenant;
    },
    clear() {
      cache.clear();
    },
  };
}
