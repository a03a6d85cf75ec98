/** API keys: random secrets shown once, stored only as sha256 hashes, each belonging to one tenant. */
import { createHash, randomBytes } from 'node:crypto';
import { TierUnavailable, Unauthorized } from '../errors.ts';
import type { Tenant, TenantDirectory } from '../tiers/durable/port.ts';

const PREFIX = 'sk_strata_';

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
 * chaos flows on three instances). A key never seen, or seen only as invalid, still needs Postgres.
 */
export function createAuthenticator(
  directory: Pick<TenantDirectory, 'findTenantByKeyHash'>,
  options: { cacheMs?: number; staleIfErrorMs?: number; maxEntries?: number; now?: () => number } = {},
): Authenticator {
  const cacheMs = options.cacheMs ?? 30_000;
  const staleIfErrorMs = options.staleIfErrorMs ?? 15 * 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { tenant: Tenant | null; until: number }>();

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
          const vouched = cached?.tenant;
          const fresh = cached !== undefined && now() - (cached.until - cacheMs) < staleIfErrorMs;
          if (error instanceof TierUnavailable && vouched && fresh) return vouched;
          throw error;
        }
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
