/** Configuration: read once from the environment, validated, injectable. Every variable is listed in README.md. */
import * as v from 'valibot';

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
  /** Comma-separated JSON Pointers never persisted, e.g. "/data/scratch,/data/cache". @default "" */
  STRATA_EPHEMERAL_PATHS: v.optional(v.string(), ''),
  /** How long an idempotency receipt is kept. @default 86400 */
  STRATA_IDEMPOTENCY_TTL_SECONDS: v.optional(int(60, 30 * 24 * 3600), '86400'),
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
  readonly compressAboveBytes: number;
  readonly ephemeralPaths: readonly string[];
  readonly idempotencyTtlSeconds: number;
  readonly logLevel: string;
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
    compressAboveBytes: e.STRATA_COMPRESS_ABOVE_BYTES,
    ephemeralPaths: e.STRATA_EPHEMERAL_PATHS.split(',')
      .map((path) => path.trim())
      .filter((path) => path.length > 0),
    idempotencyTtlSeconds: e.STRATA_IDEMPOTENCY_TTL_SECONDS,
    logLevel: e.STRATA_LOG_LEVEL,
  };
}

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
