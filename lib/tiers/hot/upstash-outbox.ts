/**
 * The outbox of the Upstash hot tier: runs whose hot head was acknowledged before it was durable.
 *
 *   <prefix>:outbox    ZSET, member `<tenantId>:<runId>` (each URI-encoded, so the one ':' splits them
 *                      unambiguously), score = savedAt of the run's last pendingDurable save. No TTL.
 *
 * It is one key for all runs, so it is not on a run's hash slot: the save, delete and ack scripts that touch
 * it assume a single-shard Redis (an Upstash database is one). A Redis Cluster would need an outbox per slot.
 */
import type { Redis } from '@upstash/redis';
import type { RunKey } from '../types.ts';
import type { HotTier, OutboxEntry } from './port.ts';
import { OUTBOX_ACK_LUA } from './upstash-scripts.ts';

export const outboxKey = (prefix: string): string => `${prefix}:outbox`;

export const outboxMember = (key: RunKey): string =>
  `${encodeURIComponent(key.tenantId)}:${encodeURIComponent(key.runId)}`;

export function parseOutboxMember(member: string): RunKey {
  const parts = member.split(':');
  if (parts.length !== 2) throw new Error(`not an outbox member: ${JSON.stringify(member)}`);
  return { tenantId: decodeURIComponent(parts[0]!), runId: decodeURIComponent(parts[1]!) };
}

/** A savedAt as a score argument: finite numbers as they are, infinities as Redis spells them. */
export function scoreArg(savedAt: number, what: string): number | '+inf' | '-inf' {
  if (Number.isNaN(savedAt)) throw new RangeError(`${what} must be a number, got NaN`);
  if (savedAt === Number.POSITIVE_INFINITY) return '+inf';
  if (savedAt === Number.NEGATIVE_INFINITY) return '-inf';
  return savedAt;
}

type Call = <T>(op: string, fn: () => Promise<T>) => Promise<T>;

export function createUpstashOutbox(
  redis: Redis,
  keyPrefix: string,
  call: Call,
): Pick<HotTier, 'outboxBatch' | 'outboxAck' | 'outboxSize'> {
  const key = outboxKey(keyPrefix);
  const ack = redis.createScript<unknown>(OUTBOX_ACK_LUA);
  return {
    async outboxBatch({ savedBefore, limit }) {
      if (!Number.isInteger(limit) || limit < 1)
        throw new RangeError(`limit must be an integer > 0, got ${limit}`);
      const max = scoreArg(savedBefore, 'savedBefore');
      const flat = await call('outboxBatch', () =>
        redis.zrange<unknown[]>(key, '-inf', max, {
          byScore: true,
          offset: 0,
          count: limit,
          withScores: true,
        }),
      );
      const entries: OutboxEntry[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        entries.push({ key: parseOutboxMember(String(flat[i])), savedAt: Number(flat[i + 1]) });
      }
      return entries;
    },
    async outboxAck(entries) {
      if (entries.length === 0) return 0;
      const args = entries.flatMap((e) => {
        if (!Number.isFinite(e.savedAt)) throw new RangeError(`savedAt must be finite, got ${e.savedAt}`);
        return [outboxMember(e.key), String(e.savedAt)];
      });
      return call('outboxAck', async () => Number(await ack.exec([key], args)));
    },
    async outboxSize() {
      return call('outboxSize', async () => Number(await redis.zcard(key)));
    },
  };
}
