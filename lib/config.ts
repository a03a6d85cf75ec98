/** Configuration: read once from the environment, validated, injectable. Every variable is listed in README.md. */
import * as v from 'valibot';
// The snapshot policy's defaults live with the policy (lib/service/deltas.ts); the variables only override them.
import { DEFAULT_SNAPSHOT_POLICY } from './service/deltas.ts';

const int = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^\d+$/, 'must be a whole number'),
    v.transform(Number),
    v.minValue(min),
    v.maxValue(max),
  );

const url = v.pipe(v.string(), v.trim(), v.url('must be a URL'));

const EnvSchema = v.object({
  /** HTTP port of `npm start`. @default 8080 */
  PORT: v.optional(int(0, 65535), '8080'),
  /** Where the embedded defaults keep their data (PGlite, the in-process hot tier's snapshot, chDB). @default ".strata" */
  STRATA_DATA_DIR: v.optional(v.pipe(v.string(), v.minLength(1)), '.strata'),
  /** Hot tier backend. @default "upstash" when UPSTASH_REDIS_REST_URL is set, else "memory" */
  STRATA_HOT: v.optional(v.picklist(['upstash', 'memory'])),
  UPSTASH_REDIS_REST_URL: v.optional(url),
  UPSTASH_REDIS_REST_TOKEN: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** Durable tier backend. @default "neon" when DATABASE_URL is set, else "pglite" */
  STRATA_DURABLE: v.optional(v.picklist(['neon', 'pglite'])),
  /** Postgres connection string (Neon in production). */
  DATABASE_URL: v.optional(v.pipe(v.string(), v.regex(/^postgres(ql)?:\/\//, 'must start with postgres://'))),
  /** host:port of a local Neon WebSocket/SQL bridge (infra/neon-proxy); unset in production. */
  NEON_LOCAL_PROXY: v.optional(v.pipe(v.string(), v.regex(/^[\w.-]+:\d+$/, 'must be host:port'))),
  /** Per-call timeout of the hot tier, so a dead Redis is skipped fast. @default 500 */
  STRATA_HOT_TIMEOUT_MS: v.optional(int(10, 60_000), '500'),
  /** Per-call timeout of the durable tier. @default 3000 */
  STRATA_DURABLE_TIMEOUT_MS: v.optional(int(10, 120_000), '3000'),
  /** Largest request body accepted. @default 1 MiB */
  STRATA_MAX_BODY_BYTES: v.optional(int(1024, 64 * 1024 * 1024), String(1024 * 1024)),
  /** Largest state (canonical JSON) accepted, after a patch is applied. @default 1 MiB */
  STRATA_MAX_STATE_BYTES: v.optional(int(1024, 64 * 1024 * 1024), String(1024 * 1024)),
  /** Deepest nesting of arrays/objects accepted in a body or state. @default 64 */
  STRATA_MAX_DEPTH: v.optional(int(4, 1000), '64'),
  /** States larger than this are stored gzip-compressed. @default 8192 */
  STRATA_COMPRESS_ABOVE_BYTES: v.optional(int(0, 64 * 1024 * 1024), '8192'),
  /** Most patches stored after a whole state before the next version is stored whole. @default DEFAULT_SNAPSHOT_POLICY */
  STRATA_SNAPSHOT_MAX_LINKS: v.optional(int(1, 10_000), String(DEFAULT_SNAPSHOT_POLICY.maxLinks)),
  /** Most patch bytes after a whole state, in percent of the state's size, before the next is stored whole. @default DEFAULT_SNAPSHOT_POLICY */
  STRATA_SNAPSHOT_CHAIN_PERCENT: v.optional(
    int(1, 100_000),
    String(Math.round(DEFAULT_SNAPSHOT_POLICY.maxChainRatio * 100)),
  ),
  /** Comma-separated JSON Pointers never persisted, e.g. "/data/scratch,/data/cache". @default "" */
  STRATA_EPHEMERAL_PATHS: v.optional(v.string(), ''),
  /** How long an idempotency receipt is kept. @default 86400 */
  STRATA_IDEMPOTENCY_TTL_SECONDS: v.optional(int(60, 30 * 24 * 3600), '86400'),
  /** Archive backend. @default "clickhouse" when CLICKHOUSE_URL is set, else "chdb" (embedded, dev only) */
  STRATA_ARCHIVE: v.optional(v.picklist(['clickhouse', 'chdb', 'none'])),
  /** ClickHouse HTTP(S) URL, e.g. https://xyz.clickhouse.cloud:8443 */
  CLICKHOUSE_URL: v.optional(url),
  /** @default "default" */
  CLICKHOUSE_USER: v.optional(v.string(), 'default'),
  /** @default "" */
  CLICKHOUSE_PASSWORD: v.optional(v.string(), ''),
  /** @default "strata" */
  CLICKHOUSE_DATABASE: v.optional(v.pipe(v.string(), v.regex(/^\w+$/, 'letters, digits and _')), 'strata'),
  /** Per-call timeout of the archive. @default 10000 */
  STRATA_ARCHIVE_TIMEOUT_MS: v.optional(int(100, 600_000), '10000'),
  /** Runs per archive batch. @default 1000 */
  STRATA_ARCHIVE_BATCH_SIZE: v.optional(int(1, 100_000), '1000'),
  /** How long an archiver holds a batch before another may retry it. @default 300 */
  STRATA_ARCHIVE_LEASE_SECONDS: v.optional(int(5, 86_400), '300'),
  /** How long a completed, archived run keeps its hot copy. @default 3600 */
  STRATA_HOT_RETENTION_SECONDS: v.optional(int(0, 90 * 86_400), '3600'),
  /** How long checkpoints stay in the durable tier (archived runs; old checkpoints of long runs). @default 30 */
  STRATA_DURABLE_RETENTION_DAYS: v.optional(int(1, 3650), '30'),
  /** A run not updated for this long and never completed is closed as failed (then archived). @default 168 */
  STRATA_ABANDON_AFTER_HOURS: v.optional(int(1, 24 * 3650), '168'),
  /**
   * Fallback store backend: a local folder, a Google Cloud Storage bucket (what a deploy needs: an instance's
   * disk is memory), or in process (tests). @default "folder"
   */
  STRATA_FALLBACK: v.optional(v.picklist(['folder', 'gcs', 'memory']), 'folder'),
  /** Folder of the fallback spool with STRATA_FALLBACK=folder. @default "$STRATA_DATA_DIR/fallback" */
  STRATA_FALLBACK_DIR: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** Bucket of the fallback spool with STRATA_FALLBACK=gcs (required then). */
  STRATA_FALLBACK_BUCKET: v.optional(
    v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'must be a bucket name')),
  ),
  /** Object-name prefix of the spool in that bucket, so one bucket can hold several deployments. @default "spool/" */
  STRATA_FALLBACK_PREFIX: v.optional(
    v.pipe(v.string(), v.regex(/^[\w./-]*$/, 'letters, digits, _ . / - only')),
    'spool/',
  ),
  /** Storage JSON API endpoint to use instead of Google's, without credentials (infra/gcs-bridge); local only. */
  STRATA_GCS_ENDPOINT: v.optional(url),
  /** Audience of Cloud Scheduler's OIDC tokens: the scheduled function's URL. */
  STRATA_SCHEDULER_AUDIENCE: v.optional(url),
  /** Comma-separated service-account e-mails allowed to trigger scheduled functions. @default "" */
  STRATA_SCHEDULER_EMAILS: v.optional(v.string(), ''),
  /**
   * JWKS URL whose keys are trusted for scheduler tokens instead of Google's. Tests only (a local key set);
   * needs STRATA_SCHEDULER_ISSUERS, so a foreign key can never pass for Google's issuer.
   */
  STRATA_SCHEDULER_JWKS_URL: v.optional(url),
  /** Comma-separated issuers accepted in scheduler tokens. @default Google's (https://accounts.google.com) */
  STRATA_SCHEDULER_ISSUERS: v.optional(v.string(), ''),
  /**
   * Where metrics go: "prometheus" serves them at GET /metrics of `npm start`; "log" writes one JSON line per
   * event for Cloud Logging's log-based metrics (the deployed functions set it); "off" drops them.
   * @default "prometheus"
   */
  STRATA_METRICS: v.optional(v.picklist(['prometheus', 'log', 'off']), 'prometheus'),
  /** pino level. @default "info" */
  STRATA_LOG_LEVEL: v.optional(
    v.picklist(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    'info',
  ),
});

export interface Config {
  readonly port: number;
  readonly dataDir: string;
  readonly hot:
    | { readonly kind: 'memory' }
    | { readonly kind: 'upstash'; readonly url: string; readonly token: string; readonly timeoutMs: number };
  readonly durable:
    | { readonly kind: 'pglite' }
    | {
        readonly kind: 'neon';
        readonly connectionString: string;
        readonly localProxy: string | null;
        readonly timeoutMs: number;
      };
  readonly limits: {
    readonly maxBodyBytes: number;
    readonly maxStateBytes: number;
    readonly maxDepth: number;
  };
  readonly archive:
    | { readonly kind: 'none' }
    | { readonly kind: 'chdb' }
    | {
        readonly kind: 'clickhouse';
        readonly url: string;
        readonly username: string;
        readonly password: string;
        readonly database: string;
        readonly timeoutMs: number;
      };
  readonly lifecycle: {
    readonly archiveBatchSize: number;
    readonly archiveLeaseMs: number;
    readonly hotRetentionMs: number;
    readonly durableRetentionMs: number;
    readonly abandonAfterMs: number;
  };
  readonly fallback:
    | { readonly kind: 'folder'; readonly dir: string }
    | {
        readonly kind: 'gcs';
        readonly bucket: string;
        readonly prefix: string;
        readonly endpoint: string | null;
      }
    | { readonly kind: 'memory' };
  readonly scheduler: {
    readonly audience: string | null;
    readonly allowedEmails: readonly string[];
    /** Trusted instead of Google's keys (tests only). */
    readonly jwksUrl: string | null;
    /** Empty: Google's issuers. */
    readonly issuers: readonly string[];
  };
  readonly compressAboveBytes: number;
  /** When a delta chain is cut by a whole state (lib/service/deltas.ts). */
  readonly snapshots: { readonly maxLinks: number; readonly maxChainRatio: number };
  readonly ephemeralPaths: readonly string[];
  readonly idempotencyTtlSeconds: number;
  readonly logLevel: string;
  readonly metrics: 'prometheus' | 'log' | 'off';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = v.safeParse(EnvSchema, env);
  if (!parsed.success) {
    const problems = parsed.issues.map((issue) => `${v.getDotPath(issue) ?? '?'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.output;
  const hotKind = e.STRATA_HOT ?? (e.UPSTASH_REDIS_REST_URL ? 'upstash' : 'memory');
  const durableKind = e.STRATA_DURABLE ?? (e.DATABASE_URL ? 'neon' : 'pglite');
  return {
    port: e.PORT,
    dataDir: e.STRATA_DATA_DIR,
    hot:
      hotKind === 'upstash'
        ? { kind: 'upstash', ...upstash(e), timeoutMs: e.STRATA_HOT_TIMEOUT_MS }
        : { kind: 'memory' },
    durable:
      durableKind === 'neon'
        ? {
            kind: 'neon',
            connectionString: required(e.DATABASE_URL, 'DATABASE_URL', 'STRATA_DURABLE=neon'),
            localProxy: e.NEON_LOCAL_PROXY ?? null,
            timeoutMs: e.STRATA_DURABLE_TIMEOUT_MS,
          }
        : { kind: 'pglite' },
    limits: {
      maxBodyBytes: e.STRATA_MAX_BODY_BYTES,
      maxStateBytes: e.STRATA_MAX_STATE_BYTES,
      maxDepth: e.STRATA_MAX_DEPTH,
    },
    archive: archiveConfig(e),
    lifecycle: {
      archiveBatchSize: e.STRATA_ARCHIVE_BATCH_SIZE,
      archiveLeaseMs: e.STRATA_ARCHIVE_LEASE_SECONDS * 1000,
      hotRetentionMs: e.STRATA_HOT_RETENTION_SECONDS * 1000,
      durableRetentionMs: e.STRATA_DURABLE_RETENTION_DAYS * 86_400_000,
      abandonAfterMs: e.STRATA_ABANDON_AFTER_HOURS * 3_600_000,
    },
    fallback: fallbackConfig(e),
    scheduler: schedulerConfig(e),
    compressAboveBytes: e.STRATA_COMPRESS_ABOVE_BYTES,
    snapshots: {
      maxLinks: e.STRATA_SNAPSHOT_MAX_LINKS,
      maxChainRatio: e.STRATA_SNAPSHOT_CHAIN_PERCENT / 100,
    },
    ephemeralPaths: list(e.STRATA_EPHEMERAL_PATHS),
    idempotencyTtlSeconds: e.STRATA_IDEMPOTENCY_TTL_SECONDS,
    logLevel: e.STRATA_LOG_LEVEL,
    metrics: e.STRATA_METRICS,
  };
}

type Env = v.InferOutput<typeof EnvSchema>;

function archiveConfig(e: Env): Config['archive'] {
  const kind = e.STRATA_ARCHIVE ?? (e.CLICKHOUSE_URL ? 'clickhouse' : 'chdb');
  if (kind !== 'clickhouse') return { kind };
  return {
    kind,
    url: required(e.CLICKHOUSE_URL, 'CLICKHOUSE_URL', 'STRATA_ARCHIVE=clickhouse'),
    username: e.CLICKHOUSE_USER,
    password: e.CLICKHOUSE_PASSWORD,
    database: e.CLICKHOUSE_DATABASE,
    timeoutMs: e.STRATA_ARCHIVE_TIMEOUT_MS,
  };
}

function fallbackConfig(e: Env): Config['fallback'] {
  if (e.STRATA_FALLBACK === 'memory') return { kind: 'memory' };
  if (e.STRATA_FALLBACK === 'folder')
    // A plain '/' (no node:path): config is read in workerd too, and every OS Node runs on accepts it.
    return {
      kind: 'folder',
      dir: e.STRATA_FALLBACK_DIR ?? `${e.STRATA_DATA_DIR.replace(/\/+$/, '')}/fallback`,
    };
  return {
    kind: 'gcs',
    bucket: required(e.STRATA_FALLBACK_BUCKET, 'STRATA_FALLBACK_BUCKET', 'STRATA_FALLBACK=gcs'),
    prefix: e.STRATA_FALLBACK_PREFIX,
    endpoint: e.STRATA_GCS_ENDPOINT ?? null,
  };
}

function schedulerConfig(e: Env): Config['scheduler'] {
  const issuers = list(e.STRATA_SCHEDULER_ISSUERS);
  if (e.STRATA_SCHEDULER_JWKS_URL && issuers.length === 0)
    throw new ConfigError(
      'STRATA_SCHEDULER_JWKS_URL needs STRATA_SCHEDULER_ISSUERS: name the issuer of that key set, or unset the URL',
    );
  return {
    audience: e.STRATA_SCHEDULER_AUDIENCE ?? null,
    allowedEmails: list(e.STRATA_SCHEDULER_EMAILS),
    jwksUrl: e.STRATA_SCHEDULER_JWKS_URL ?? null,
    issuers,
  };
}

const list = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

function upstash(e: {
  UPSTASH_REDIS_REST_URL?: string | undefined;
  UPSTASH_REDIS_REST_TOKEN?: string | undefined;
}) {
  return {
    url: required(e.UPSTASH_REDIS_REST_URL, 'UPSTASH_REDIS_REST_URL', 'STRATA_HOT=upstash'),
    token: required(e.UPSTASH_REDIS_REST_TOKEN, 'UPSTASH_REDIS_REST_TOKEN', 'STRATA_HOT=upstash'),
  };
}

function required(value: string | undefined, name: string, because: string): string {
  if (value === undefined)
    throw new ConfigError(`${name} is required with ${because}: set it, or unset ${because.split('=')[0]}`);
  return value;
}
