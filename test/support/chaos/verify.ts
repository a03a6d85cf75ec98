/**
 * The invariants a chaos run must keep, checked through the HTTP API once every server is healed, the spool
 * drained and the consistency repair done:
 *   (a) every save acknowledged `durable` or `spooled` loads (GET ?version=N) with the hash it was acked with;
 *   (b) no run's head went backwards: its head ≥ the highest version acknowledged durable/spooled;
 *   (c) no (run, version) was acknowledged durable/spooled twice with different hashes;
 *   (d) lost = the acknowledged durable/spooled saves that (a) could not find.
 */
import { type Ack, type Ledger, type Picked, picker, type Target } from './agents.ts';
import { createRng } from './rng.ts';

export interface Violation {
  readonly kind: 'lost' | 'regressed' | 'duplicated';
  readonly runId: string;
  readonly version: number;
  readonly detail: string;
  /** The run's trail (see Ledger.trail), newest last. */
  readonly trail: readonly string[];
}

export interface Verification {
  readonly checkedVersions: number;
  readonly checkedRuns: number;
  readonly lost: number;
  readonly regressed: number;
  readonly duplicated: number;
  readonly violations: readonly Violation[];
}

const kept = (a: Ack) => a.durability === 'durable' || a.durability === 'spooled';

async function getJson(
  instance: () => Picked,
  path: string,
  apiKey: string,
): Promise<{ status: number; body: Record<string, unknown>; on: string }> {
  // Bounded retries (each may go to another instance): the servers are healed, but a breaker may still be open
  // for a moment.
  let last = { status: 0, body: {} as Record<string, unknown>, on: '' };
  for (let attempt = 1; attempt <= 5; attempt++) {
    const { url, name: on } = instance();
    try {
      const res = await fetch(`${url}${path}`, {
        headers: { authorization: `Bearer ${apiKey}` },
        signal: AbortSignal.timeout(10_000),
      });
      last = { status: res.status, body: (await res.json()) as Record<string, unknown>, on };
      if (res.status < 500) return last;
    } catch (error) {
      last = { status: 0, body: { message: String(error) }, on };
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
  return last;
}

/** Runs `work` over `items`, `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export async function verifyLedger(
  service: Target,
  ledger: Ledger,
  apiKeyOf: (runId: string) => string,
): Promise<Verification> {
  const violations: Violation[] = [];
  const trail = (runId: string) => ledger.trails.get(runId)?.slice(-40) ?? [];
  // Every instance answers for every run: the checks go to whichever the picker names.
  const instance = picker(service, createRng(0x5eed));
  const statePath = (runId: string) => `/v1/runs/${encodeURIComponent(runId)}/state`;

  // (c) one hash per acknowledged (run, version).
  const byVersion = new Map<string, Map<number, Set<string>>>();
  for (const ack of ledger.acks.filter(kept)) {
    const run = byVersion.get(ack.runId) ?? new Map<number, Set<string>>();
    byVersion.set(ack.runId, run);
    const hashes = run.get(ack.version) ?? new Set<string>();
    run.set(ack.version, hashes.add(ack.hash));
  }
  let duplicated = 0;
  const toLoad: Array<{ runId: string; version: number; hash: string }> = [];
  for (const [runId, versions] of byVersion) {
    for (const [version, hashes] of versions) {
      if (hashes.size > 1) {
        duplicated++;
        violations.push({
          kind: 'duplicated',
          runId,
          version,
          detail: `acknowledged durable/spooled with ${hashes.size} hashes: ${[...hashes].map((h) => h.slice(0, 12)).join(', ')}`,
          trail: trail(runId),
        });
      }
      for (const hash of hashes) toLoad.push({ runId, version, hash });
    }
  }

  // (a)/(d) each one loads with its hash.
  let lost = 0;
  await eachLimited(toLoad, 16, async ({ runId, version, hash }) => {
    const { status, body, on } = await getJson(
      instance,
      `${statePath(runId)}?version=${version}`,
      apiKeyOf(runId),
    );
    if (status === 200 && body.hash === hash) return;
    lost++;
    violations.push({
      kind: 'lost',
      runId,
      version,
      detail: `acked hash ${hash.slice(0, 12)}; GET ?version=${version}${on && ` on ${on}`} → ${status} ${
        status === 200
          ? `hash ${String(body.hash).slice(0, 12)} from ${String(body.servedBy)}`
          : JSON.stringify(body)
      }`,
      trail: trail(runId),
    });
  });

  // (b) the head is at least the newest acknowledged durable/spooled version.
  let regressed = 0;
  const runs = [...byVersion.keys()];
  await eachLimited(runs, 16, async (runId) => {
    const highest = Math.max(...byVersion.get(runId)!.keys());
    const { status, body, on } = await getJson(instance, statePath(runId), apiKeyOf(runId));
    const head = status === 200 ? Number(body.version) : -1;
    if (head >= highest) return;
    regressed++;
    violations.push({
      kind: 'regressed',
      runId,
      version: highest,
      detail: `head${on && ` on ${on}`} ${status === 200 ? `v${head} from ${String(body.servedBy)}` : `→ ${status}`}, but v${highest} was acknowledged ${
        ledger.acks.find((a) => a.runId === runId && a.version === highest && kept(a))?.durability
      }`,
      trail: trail(runId),
    });
  });

  return {
    checkedVersions: toLoad.length,
    checkedRuns: runs.length,
    lost,
    regressed,
    duplicated,
    violations,
  };
}

/** Violations for a failure message: each with the tail of its run's trail. */
export function describeViolations(violations: readonly Violation[], max = 8): string {
  return violations
    .slice(0, max)
    .map((v) => `${v.kind} ${v.runId} v${v.version}: ${v.detail}\n    trail: ${v.trail.join(' ')}`)
    .join('\n');
}
