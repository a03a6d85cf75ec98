/**
 * Simulated agents for chaos tests and benchmarks: each owns one run and saves version after version over
 * HTTP, the way a well-behaved client of the durability contract does —
 * - every save names the version it builds on (`expectedVersion`);
 * - one `Idempotency-Key` per logical save: a 5xx or a network failure is retried with the SAME key and body
 *   (bounded attempts, jittered exponential backoff), so a retry can never store a second, different version;
 * - a 409 means someone (a failover, a lost hot copy) moved the head: reload it and continue from there.
 * Every acknowledged save is written to the ledger, which the invariant checks read afterwards.
 */
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import type { Rng } from './rng.ts';

// CommonJS package typed as an ES default export (see lib/model/canonical.ts). The hash is computed here,
// independently of lib/model, so a receipt that names the wrong content is caught.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;
const contentHash = (value: unknown) =>
  createHash('sha256')
    .update(canonicalize(value) ?? '', 'utf8')
    .digest('hex');

export type Durability = 'hot' | 'durable' | 'spooled';
export type Checkpoint = 'AUTO' | 'CRITICAL';

/** One acknowledged save (a 200 whose receipt matches what was sent). */
export interface Ack {
  readonly runId: string;
  readonly version: number;
  readonly hash: string;
  readonly durability: Durability;
  readonly checkpoint: Checkpoint;
  /** performance.now() when the request that got the answer was sent / answered. */
  readonly sentAt: number;
  readonly answeredAt: number;
}

/** A save attempt answered with a 5xx or not answered at all. */
export interface FailedAttempt {
  readonly runId: string;
  readonly checkpoint: Checkpoint;
  /** HTTP status, or 0 for a network failure / client timeout. */
  readonly status: number;
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly detail: string;
}

export class Ledger {
  readonly acks: Ack[] = [];
  readonly failures: FailedAttempt[] = [];
  conflicts = 0;
  /** performance.now() of each 409 answer. */
  readonly conflictTimes: number[] = [];
  /** Logical saves abandoned after their last retry (nothing acknowledged: the agent reloads its head). */
  abandoned = 0;
  /** Answers outside the contract: a 200 naming other content or version, an unexpected 4xx. */
  readonly anomalies: string[] = [];
  /**
   * Retries (same Idempotency-Key, same body) answered 409 although an earlier attempt had stored exactly
   * this save: the contract says a retry returns the first answer. Not an acknowledged save, so not a loss.
   */
  readonly retriesRefused: string[] = [];
  readonly loads = { ok: 0, notFound: 0, failed: 0 };
  /** Per run: a compact trail of what happened (performance.now() of each entry beside it), to quote when an invariant fails. */
  readonly trails = new Map<string, string[]>();
  readonly trailTimes = new Map<string, number[]>();

  trail(runId: string, entry: string): void {
    const trail = this.trails.get(runId) ?? [];
    const times = this.trailTimes.get(runId) ?? [];
    this.trails.set(runId, trail);
    this.trailTimes.set(runId, times);
    // Bounded: the tail is what explains a failure.
    if (trail.length >= 400) {
      trail.splice(0, 100);
      times.splice(0, 100);
    }
    trail.push(entry);
    times.push(performance.now());
  }

  count(durability: Durability): number {
    return this.acks.filter((a) => a.durability === durability).length;
  }

  statusCount(status: number): number {
    return this.failures.filter((f) => f.status === status).length;
  }
}

export interface AgentSpec {
  readonly runId: string;
  readonly apiKey: string;
  readonly agentName: string;
  /** Every Nth logical save is CRITICAL, the others AUTO. @default 3 */
  readonly criticalEvery?: number;
}

/** The instance a request went to. */
export interface Picked {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Named in the trails, so a violation shows which instance answered what. */
  readonly name: string;
}

/** Several instances behind one service: each request picks one (seeded, so a run is replayed exactly). */
export interface Endpoint {
  /** An instance for the next request; `previous` names the one the caller used last. */
  pick(rng: Rng, previous?: string): Picked;
}

/** Where requests go: one base URL, or instances picked per request. */
export type Target = string | Endpoint;

/** A per-caller picker over `target`: one instance, or the next pick (remembering the previous one). */
export function picker(target: Target, rng: Rng): () => Picked {
  if (typeof target === 'string') return () => ({ url: target, name: '' });
  let previous: string | undefined;
  return () => {
    const picked = target.pick(rng, previous);
    previous = picked.name;
    return picked;
  };
}

export interface AgentContext {
  /** The state API: one base URL, or several instances (a request each picks one). */
  readonly baseUrl: Target;
  readonly ledger: Ledger;
  readonly rng: Rng;
  /** True once the agent should finish the save in hand and stop. */
  readonly stopped: () => boolean;
  /** No request is sent after this (performance.now()), whatever is in hand: bounds the whole run. */
  readonly hardDeadline: number;
  /** Attempts per logical save. @default 8 */
  readonly maxAttempts?: number;
  /** Pause between two saves, drawn uniformly from [min, max] ms. @default [2, 15] */
  readonly thinkMs?: readonly [number, number];
  /** Client-side deadline of one HTTP request. @default 5000 */
  readonly requestTimeoutMs?: number;
  /**
   * Names this run of the agent in its Idempotency-Keys, so an agent started again on the same run (after a
   * crash) never reuses a key of its previous life for another body. @default 'a'
   */
  readonly session?: string;
  /** Before every Nth save the agent also reads its state back (one GET, not retried). @default never */
  readonly loadEvery?: number;
  /** Called with every answered save (bench probes watch `durability` flip). */
  readonly onSave?: (event: SaveEvent) => void;
  /** Called with every answered load. */
  readonly onLoad?: (event: LoadEvent) => void;
}

export interface SaveEvent {
  readonly status: number;
  /** Why a request got no answer (status 0). */
  readonly error?: string;
  readonly durability?: Durability;
  readonly checkpoint: Checkpoint;
  readonly sentAt: number;
  readonly answeredAt: number;
}

export interface LoadEvent {
  readonly status: number;
  readonly error?: string;
  readonly servedBy?: string;
  readonly sentAt: number;
  readonly answeredAt: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> | null;
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly error?: string;
}

/** One HTTP call; a network failure or a client timeout is status 0, never a throw. */
async function call(url: string, init: RequestInit, timeoutMs: number, deadline: number): Promise<Answer> {
  const sentAt = performance.now();
  // AbortSignal.timeout takes whole milliseconds only.
  const budget = Math.max(1, Math.floor(Math.min(timeoutMs, deadline - sentAt)));
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(budget) });
    const text = await res.text();
    let body: Record<string, unknown> | null = null;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = null; // functions-framework's own 4xx pages are HTML
    }
    return { status: res.status, body, sentAt, answeredAt: performance.now() };
  } catch (error) {
    // fetch says only "fetch failed": the cause tells a crashed instance (a reset socket) from a refused one.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
    const why = cause ? ` (${(cause as NodeJS.ErrnoException).code ?? cause.message})` : '';
    const detail = error instanceof Error ? `${error.name}: ${error.message}${why}` : String(error);
    return { status: 0, body: null, sentAt, answeredAt: performance.now(), error: detail };
  }
}

/** Jittered exponential backoff: 50 ms doubling to 800 ms, times 0.5–1.5. */
const backoff = (attempt: number, rng: Rng) => Math.min(800, 50 * 2 ** (attempt - 1)) * (0.5 + rng.next());

/** The state an agent saves as `version`; `seq` makes every logical save's content (and hash) unique. */
export function agentState(spec: AgentSpec, version: number, seq: number, rng: Rng) {
  return {
    agentName: spec.agentName,
    status: 'running' as const,
    step: version,
    data: {
      runId: spec.runId,
      seq,
      version,
      note: rng.word(24 + Math.floor(rng.next() * 64)),
      memory: Array.from({ length: 4 }, (_, i) => ({ turn: seq * 4 + i, text: rng.word(16) })),
    },
    metadata: {
      model: 'chaos-model',
      inputTokens: seq * 13,
      outputTokens: seq * 5,
      costUsd: Math.round(seq * 13) / 1e4,
      tags: ['chaos'],
    },
  };
}

/**
 * Runs one agent until `stopped()` (or the hard deadline). Resolves with the head it ended on; never rejects
 * for an HTTP outcome (those go to the ledger).
 */
export async function runAgent(spec: AgentSpec, ctx: AgentContext, startHead = 0): Promise<number> {
  const { ledger, rng } = ctx;
  const maxAttempts = ctx.maxAttempts ?? 8;
  const [thinkMin, thinkMax] = ctx.thinkMs ?? [2, 15];
  const timeoutMs = ctx.requestTimeoutMs ?? 5_000;
  const criticalEvery = spec.criticalEvery ?? 3;
  const session = ctx.session ?? 'a';
  const next = picker(ctx.baseUrl, rng);
  const path = `/v1/runs/${encodeURIComponent(spec.runId)}/state`;
  /** The state URL on the instance this request goes to, and that instance's name for the trail. */
  const target = () => {
    const picked = next();
    return { stateUrl: `${picked.url}${path}`, on: picked.name ? `[${picked.name}]` : '' };
  };
  const auth = { authorization: `Bearer ${spec.apiKey}` };
  const timeLeft = () => performance.now() < ctx.hardDeadline;
  let head = startHead;
  let seq = 0;

  /** The head as the service sees it now; null when it could not be read (the caller keeps its guess). */
  const loadHead = async (): Promise<{ version: number; hash: string | null } | null> => {
    for (let attempt = 1; attempt <= maxAttempts && timeLeft(); attempt++) {
      const { stateUrl, on } = target();
      const answer = await call(stateUrl, { headers: auth }, timeoutMs, ctx.hardDeadline);
      const servedBy = typeof answer.body?.servedBy === 'string' ? answer.body.servedBy : undefined;
      ctx.onLoad?.({
        status: answer.status,
        ...(answer.error !== undefined && { error: answer.error }),
        sentAt: answer.sentAt,
        answeredAt: answer.answeredAt,
        ...(servedBy && { servedBy }),
      });
      if (answer.status === 200 && typeof answer.body?.version === 'number') {
        ledger.loads.ok++;
        ledger.trail(spec.runId, `load${on}→v${answer.body.version}(${servedBy})`);
        return { version: answer.body.version, hash: String(answer.body.hash) };
      }
      if (answer.status === 404) {
        // Nothing of the run is stored anywhere (its only versions were hot-only and Redis lost them).
        ledger.loads.notFound++;
        ledger.trail(spec.runId, `load${on}→404`);
        return { version: 0, hash: null };
      }
      ledger.loads.failed++;
      ledger.trail(spec.runId, `load${on}→${answer.status}`);
      await sleep(backoff(attempt, rng));
    }
    return null;
  };

  /** A read of the head, as an agent does when it picks its state up again; only observed. */
  const readBack = async () => {
    const { stateUrl } = target();
    const answer = await call(stateUrl, { headers: auth }, timeoutMs, ctx.hardDeadline);
    const servedBy = typeof answer.body?.servedBy === 'string' ? answer.body.servedBy : undefined;
    ctx.onLoad?.({
      status: answer.status,
      ...(answer.error !== undefined && { error: answer.error }),
      sentAt: answer.sentAt,
      answeredAt: answer.answeredAt,
      ...(servedBy && { servedBy }),
    });
    if (answer.status === 200) ledger.loads.ok++;
    else if (answer.status === 404) ledger.loads.notFound++;
    else ledger.loads.failed++;
  };

  while (!ctx.stopped() && timeLeft()) {
    seq++;
    if (ctx.loadEvery && seq % ctx.loadEvery === 0 && head > 0) await readBack();
    const checkpoint: Checkpoint = seq % criticalEvery === 0 ? 'CRITICAL' : 'AUTO';
    const version = head + 1;
    const state = agentState(spec, version, seq, rng);
    const hash = contentHash(state);
    const body = JSON.stringify({ checkpoint, expectedVersion: head, state });
    const headers = {
      ...auth,
      'content-type': 'application/json',
      // The same key for every attempt of this save (same body): a retry returns the first answer.
      'idempotency-key': `${spec.runId}.${session}.${seq}`,
    };
    const tag = `${session === 'a' ? '' : session}s${seq}:v${version}${checkpoint === 'CRITICAL' ? 'C' : 'A'}`;
    let settled: 'ack' | 'conflict' | 'abandoned' | 'anomaly' = 'abandoned';
    let attempts = 0;

    for (let attempt = 1; attempt <= maxAttempts && timeLeft(); attempt++) {
      attempts = attempt;
      const { stateUrl, on } = target();
      const answer = await call(stateUrl, { method: 'PUT', headers, body }, timeoutMs, ctx.hardDeadline);
      const durability = answer.body?.durability as Durability | undefined;
      ctx.onSave?.({
        status: answer.status,
        ...(answer.error !== undefined && { error: answer.error }),
        checkpoint,
        sentAt: answer.sentAt,
        answeredAt: answer.answeredAt,
        ...(durability && { durability }),
      });
      if (answer.status === 200) {
        const receipt = answer.body ?? {};
        const known = durability === 'hot' || durability === 'durable' || durability === 'spooled';
        if (!known || receipt.version !== version || receipt.hash !== hash || receipt.runId !== spec.runId) {
          ledger.anomalies.push(
            `${spec.runId} ${tag}${on}: 200 ${JSON.stringify(receipt)} but sent v${version} hash ${hash}`,
          );
          ledger.trail(spec.runId, `${tag}${on}→200?!`);
          settled = 'anomaly';
          break;
        }
        ledger.acks.push({
          runId: spec.runId,
          version,
          hash,
          durability,
          checkpoint,
          sentAt: answer.sentAt,
          answeredAt: answer.answeredAt,
        });
        ledger.trail(spec.runId, `${tag}${on}→${durability}${attempt > 1 ? `@${attempt}` : ''}`);
        head = version;
        settled = 'ack';
        break;
      }
      if (answer.status === 409) {
        ledger.conflicts++;
        ledger.conflictTimes.push(answer.answeredAt);
        ledger.trail(spec.runId, `${tag}${on}→409(cur ${String(answer.body?.currentVersion)})`);
        settled = 'conflict';
        break;
      }
      if (answer.status === 0 || answer.status >= 500) {
        ledger.failures.push({
          runId: spec.runId,
          checkpoint,
          status: answer.status,
          sentAt: answer.sentAt,
          answeredAt: answer.answeredAt,
          detail: answer.error ?? String(answer.body?.message ?? ''),
        });
        ledger.trail(spec.runId, `${tag}${on}→${answer.status}`);
        await sleep(backoff(attempt, rng));
        continue;
      }
      // 4xx other than 409 (422 would mean a retry was taken for another body): outside the contract here.
      ledger.anomalies.push(`${spec.runId} ${tag}${on}: ${answer.status} ${JSON.stringify(answer.body)}`);
      ledger.trail(spec.runId, `${tag}${on}→${answer.status}`);
      settled = 'anomaly';
      break;
    }

    if (settled === 'abandoned') ledger.abandoned++;
    if (settled !== 'ack') {
      const loaded = await loadHead();
      if (loaded !== null) {
        if (settled === 'conflict' && attempts > 1 && loaded.version === version && loaded.hash === hash)
          ledger.retriesRefused.push(
            `${spec.runId} ${tag}: attempt ${attempts} answered 409, v${version} holds it`,
          );
        head = loaded.version;
      }
    }
    await sleep(thinkMin + rng.next() * (thinkMax - thinkMin));
  }
  return head;
}

/** Runs `agents` concurrently; resolves once every one has stopped. */
export async function runAgents(
  agents: readonly AgentSpec[],
  ctx: Omit<AgentContext, 'rng'> & { readonly rngFor: (index: number) => Rng },
  startHeads?: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  const heads = await Promise.all(
    agents.map((spec, i) => runAgent(spec, { ...ctx, rng: ctx.rngFor(i) }, startHeads?.get(spec.runId) ?? 0)),
  );
  return new Map(agents.map((spec, i) => [spec.runId, heads[i]!]));
}
