/**
 * The production hot tier: Upstash Redis over REST through `@upstash/redis`. Every read-then-write is a
 * Lua script (upstash-scripts.ts), sent as EVALSHA so a save is one round trip.
 *
 * Key layout — the hash tag `{…}` puts every key of a run on one slot, as scripts need:
 *   <prefix>:{<tenantId>:<runId>}:head          HASH, the head's version and hash (TTL of the save)
 *   <prefix>:{<tenantId>:<runId>}:chain         LIST, the delta chain up to the head, as JSON records
 *                                               (upstash-scripts.ts; TTL of the save)
 *   <prefix>:{<tenantId>:<runId>}:prev          HASH, the head a keepPrevious save replaced (short TTL)
 *   <prefix>:{<tenantId>:<runId>}:prevchain     LIST, the chain it replaced (short TTL)
 *   <prefix>:{<tenantId>:<runId>}:idem:<key>    HASH {fingerprint, receipt} (TTL of the receipt)
 *   <prefix>:{<tenantId>:<runId>}:receipts      SET of the run's receipt keys, so delete needs no SCAN
 *   <prefix>:{<tenantId>:<runId>}:sealed        STRING, present while the run is completed (TTL of the seal)
 *   <prefix>:credential:<sha256 of an API key>  STRING, what Postgres answered for the key (TTL)
 *   <prefix>:outbox                             ZSET of runs not durable yet (upstash-outbox.ts; not on a
 *                                               run's slot: its scripts assume a single-shard Redis)
 * tenantId and runId are URI-encoded so ':', '{' and '}' inside them cannot make two runs share keys.
 */
import { Redis, type Requester } from '@upstash/redis';
import { TierUnavailable } from '../../errors.ts';
import { withDeadline } from '../../resilience/deadline.ts';
import { BrokenChain, isPatch, rebuildLast } from '../chain.ts';
import type { RunKey, SaveReceipt, StoredVersion } from '../types.ts';
import type { HotSaveOptions, HotSaveOutcome, HotTier } from './port.ts';
import { createHeadCache, type HeadCache, type HeadCacheLimits } from './upstash-head-cache.ts';
import { createUpstashOutbox, outboxKey, outboxMember } from './upstash-outbox.ts';
import type { RequesterOptions } from './upstash-requester.ts';
import { DELETE_LUA, LOAD_LUA, PROMOTE_LUA, REVERT_LUA, SAVE_LUA } from './upstash-scripts.ts';

export interface UpstashHotTierConfig {
  /** REST URL of the database (`UPSTASH_REDIS_REST_URL`). */
  readonly url: string;
  /** REST token (`UPSTASH_REDIS_REST_TOKEN`). */
  readonly token: string;
  /**
   * First segment of every key, to share a database between deployments.
   * @default 'strata'
   */
  readonly keyPrefix?: string;
  /**
   * Retries of network failures by the client; `false` fails on the first one.
   * @default the client's: 5 retries, backoff `exp(n) * 50` ms
   */
  readonly retry?: false | { readonly retries: number; readonly backoff?: (retryCount: number) => number };
  /**
   * Upper bound of one call, retries included; past it the call rejects with `TierUnavailable`.
   * @default 2000
   */
  readonly timeoutMs?: number;
  /**
   * How long a head replaced by a `keepPrevious` save stays available to `revert`.
   * @default 120
   */
  readonly previousTtlSeconds?: number;
  /**
   * Heads rebuilt from a delta chain, kept so a load of an unchanged head skips reading and rebuilding the chain
   * (each load still asks Redis whether the head is unchanged: upstash-head-cache.ts). `false` keeps none.
   * @default { maxRuns: 1000, maxBytes: 16 MiB }
   */
  readonly headCache?: false | HeadCacheLimits;
  /**
   * The client's HTTP transport: in Node, `keepAliveRequester` (upstash-requester.ts); without it, the client's
   * own (the platform fetch), as a Web-standard runtime needs.
   * @default undefined
   */
  readonly transport?: (options: RequesterOptions) => Requester;
}

/**
 * @upstash/redis over a given transport (its public `new Redis(requester)`), replies left as Redis sent them: that
 * constructor takes no options, so the one this adapter needs is set as the config constructor sets it.
 */
export class RedisOverTransport extends Redis {
  constructor(requester: Requester) {
    super(requester);
    this.opts = { automaticDeserialization: false };
  }
}

const FIELDS = ['version', 'hash', 'checkpoint', 'encoding', 'payload', 'sizeBytes', 'savedAt'] as const;

/** The keys of one run (see the layout above). */
export function runKeys(prefix: string, key: RunKey) {
  const run = `${prefix}:{${encodeURIComponent(key.tenantId)}:${encodeURIComponent(key.runId)}}`;
  return {
    head: `${run}:head`,
    chain: `${run}:chain`,
    prev: `${run}:prev`,
    prevchain: `${run}:prevchain`,
    receipts: `${run}:receipts`,
    sealed: `${run}:sealed`,
    receipt: (idempotencyKey: string) => `${run}:idem:${idempotencyKey}`,
  };
}

/** A chain element: the record as stored (its position in the chain is derived on load, not kept). */
const chainElement = (r: StoredVersion): string =>
  JSON.stringify({
    version: r.version,
    hash: r.hash,
    checkpoint: r.checkpoint,
    encoding: r.encoding,
    payload: r.payload,
    sizeBytes: r.sizeBytes,
    savedAt: r.savedAt,
    ...(isPatch(r) && { format: 'patch' }),
  });

function ttlMs(seconds: number, what = 'ttlSeconds'): string {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new RangeError(`${what} must be > 0, got ${seconds}`);
  return String(Math.max(1, Math.round(seconds * 1000)));
}

/** A head written before chains: HGETALL's flat [field, value, …] list (automatic deserialisation is off). */
function parseHead(flat: unknown): StoredVersion | null {
  if (!Array.isArray(flat) || flat.length === 0) return null;
  const h = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) h.set(String(flat[i]), String(flat[i + 1]));
  const missing = FIELDS.filter((f) => !h.has(f));
  if (missing.length > 0) throw new Error(`the head hash lacks ${missing.join(', ')}`);
  return {
    version: Number(h.get('version')),
    hash: h.get('hash')!,
    checkpoint: h.get('checkpoint') as StoredVersion['checkpoint'],
    encoding: h.get('encoding') as StoredVersion['encoding'],
    payload: h.get('payload')!,
    sizeBytes: Number(h.get('sizeBytes')),
    savedAt: Number(h.get('savedAt')),
  };
}

/**
 * LOAD_LUA's reply: the head the cache holds for `run` when Redis says it is unchanged, else the chain rebuilt
 * into the head (kept in the cache when patches had to be applied), or the head of the older layout.
 */
function parseLoadReply(reply: unknown, run: string, heads: HeadCache): StoredVersion | null {
  const [kind, body] = Array.isArray(reply) ? reply : [];
  if (kind === 'same') {
    const cached = heads.get(run);
    if (cached) return cached.record;
  }
  heads.delete(run);
  if (kind === 'head') return parseHead(body);
  if (kind !== 'chain' || !Array.isArray(body))
    throw new Error(`unexpected reply of the load script: ${JSON.stringify(reply)?.slice(0, 200)}`);
  const elements = body.map(String);
  let record: StoredVersion | null;
  try {
    record = rebuildLast(elements.map((element) => JSON.parse(element) as StoredVersion));
  } catch (error) {
    // A chain that does not rebuild is no copy at all: the read fails over to the tiers below.
    if (error instanceof BrokenChain) throw new TierUnavailable('hot', error.message, { cause: error });
    throw error;
  }
  if (record && (record.chain?.links ?? 0) > 0)
    heads.set(run, { link: elements.at(-1)!, length: elements.length, record: Object.freeze(record) });
  return record;
}

function parseSaveReply(reply: unknown): HotSaveOutcome {
  const [status, detail] = Array.isArray(reply) ? reply.map(String) : [];
  switch (status) {
    case 'saved':
    case 'head_unknown':
    case 'idempotency_mismatch':
    case 'sealed':
    case 'base_changed':
      return { status };
    case 'conflict':
      return { status, currentVersion: Number(detail) };
    case 'replayed':
      return { status, receipt: JSON.parse(detail ?? 'null') as SaveReceipt };
    default:
      throw new Error(`unexpected reply of the save script: ${JSON.stringify(reply)}`);
  }
}

export function createUpstashHotTier(config: UpstashHotTierConfig): HotTier {
  const { url, token, keyPrefix = 'strata', timeoutMs = 2_000, previousTtlSeconds = 120 } = config;
  if (!url) throw new Error('createUpstashHotTier: url is required (set UPSTASH_REDIS_REST_URL)');
  if (!token) throw new Error('createUpstashHotTier: token is required (set UPSTASH_REDIS_REST_TOKEN)');
  const redis = config.transport
    ? new RedisOverTransport(
        config.transport({
          url,
          token,
          timeoutMs,
          ...(config.retry !== undefined && { retry: config.retry }),
        }),
      )
    : new Redis({
        url,
        token,
        // Payloads and versions must come back as stored: "123" must not become 123.
        automaticDeserialization: false,
        // Replies as plain JSON strings, not base64: every value here is UTF-8 text we wrote (JSON records, ids),
        // and decoding base64 (atob, a byte loop, a TextDecoder per string) cost a load ~0.1 ms per 64 KB.
        responseEncoding: false,
        // A fresh signal per HTTP request cancels the socket work; the timer in `call` bounds retries too.
        signal: () => AbortSignal.timeout(timeoutMs),
        ...(config.retry === undefined ? {} : { retry: config.retry }),
      });
  const scripts = {
    save: redis.createScript<unknown>(SAVE_LUA),
    load: redis.createScript<unknown>(LOAD_LUA),
    promote: redis.createScript<unknown>(PROMOTE_LUA),
    revert: redis.createScript<unknown>(REVERT_LUA),
    delete: redis.createScript<unknown>(DELETE_LUA),
  };
  const prevTtl = ttlMs(previousTtlSeconds, 'previousTtlSeconds');
  const heads = createHeadCache(config.headCache === false ? { maxRuns: 0 } : config.headCache);
  let closed = false;

  async function call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (closed) throw new TierUnavailable('hot', `${op}: the tier was closed`);
    try {
      // Bounds the client's retries too: each HTTP request has its own signal (above).
      return await withDeadline(
        timeoutMs,
        () => new TierUnavailable('hot', `${op} took longer than ${timeoutMs} ms`),
        fn,
      );
    } catch (e) {
      if (e instanceof TierUnavailable) throw e;
      throw new TierUnavailable('hot', `${op} failed: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
  }

  return {
    async save(key, record, options: HotSaveOptions) {
      const k = runKeys(keyPrefix, key);
      const idem = options.idempotency;
      const pending = options.pendingDurable === true;
      // A NaN score would fail the ZADD after the head was written: refuse it before anything is sent.
      if (pending && !Number.isFinite(record.savedAt)) {
        throw new RangeError(`record.savedAt must be finite, got ${record.savedAt}`);
      }
      const keys = [
        k.head,
        k.prev,
        k.receipts,
        k.sealed,
        k.chain,
        k.prevchain,
        ...(idem ? [k.receipt(idem.key)] : []),
        ...(pending ? [outboxKey(keyPrefix)] : []),
      ];
      const args = [
        String(record.version),
        record.hash,
        isPatch(record) ? 'patch' : 'state',
        chainElement(record),
        String(record.savedAt),
        ttlMs(options.ttlSeconds),
        options.knownHead === undefined ? '' : String(options.knownHead),
        options.keepPrevious ? '1' : '0',
        prevTtl,
        pending ? outboxMember(key) : '',
        options.baseHash ?? '',
        ...(idem
          ? [idem.fingerprint, JSON.stringify(idem.receipt), ttlMs(idem.ttlSeconds, 'idempotency.ttlSeconds')]
          : []),
      ];
      return call('save', async () => parseSaveReply(await scripts.save.exec(keys, args)));
    },
    async load(key) {
      const k = runKeys(keyPrefix, key);
      const cached = heads.get(k.head);
      const args = cached ? [cached.link, String(cached.length)] : [];
      return call('load', async () =>
        parseLoadReply(await scripts.load.exec([k.head, k.chain], args), k.head, heads),
      );
    },
    async promote(key, record, ttlSeconds) {
      if (isPatch(record)) throw new RangeError('promote takes a whole state, not a patch');
      const k = runKeys(keyPrefix, key);
      const args = [String(record.version), record.hash, chainElement(record), ttlMs(ttlSeconds)];
      return call('promote', async () => Number(await scripts.promote.exec([k.head, k.chain], args)) === 1);
    },
    async revert(key, version, hash, idempotencyKey) {
      const k = runKeys(keyPrefix, key);
      const keys = [
        k.head,
        k.prev,
        k.receipts,
        k.chain,
        k.prevchain,
        ...(idempotencyKey === undefined ? [] : [k.receipt(idempotencyKey)]),
      ];
      await call('revert', () => scripts.revert.exec(keys, [String(version), hash]));
    },
    async seal(key, ttlSeconds) {
      const sealed = runKeys(keyPrefix, key).sealed;
      await call('seal', () => redis.set(sealed, '1', { px: Number(ttlMs(ttlSeconds)) }));
    },
    async rememberCredential(keyHash, value, ttlSeconds) {
      const name = `${keyPrefix}:credential:${keyHash}`;
      await call('rememberCredential', () => redis.set(name, value, { px: Number(ttlMs(ttlSeconds)) }));
    },
    async recallCredential(keyHash) {
      const name = `${keyPrefix}:credential:${keyHash}`;
      return call('recallCredential', async () => {
        const value: unknown = await redis.get(name);
        return value === null || value === undefined ? null : String(value);
      });
    },
    async delete(key) {
      const k = runKeys(keyPrefix, key);
      heads.delete(k.head);
      const keys = [k.head, k.prev, k.receipts, outboxKey(keyPrefix), k.sealed, k.chain, k.prevchain];
      await call('delete', () => scripts.delete.exec(keys, [outboxMember(key)]));
    },
    ...createUpstashOutbox(redis, keyPrefix, call),
    async ping() {
      await call('ping', () => redis.ping());
    },
    async close() {
      // REST holds no connection of its own (fetch pools sockets); refuse further calls.
      closed = true;
    },
  };
}
