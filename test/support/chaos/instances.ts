/**
 * Several state-api instances, each a separate process (state-api-child.ts), over the same tiers and the same
 * spool folder — what production runs behind one URL. Requests are spread over the live ones the way a front
 * end does; an instance can be killed with SIGKILL (its requests in flight fail at the socket) and replaced by
 * a fresh one on a new port, as a platform replaces a crashed instance (cold start included).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guardServer, isRunning, type ServerGuard, terminate } from '../faults/process.ts';
import type { Endpoint, Picked } from './agents.ts';
import type { Rng } from './rng.ts';
import type { InstanceReady } from './state-api-child.ts';

const CHILD = fileURLToPath(new URL('./state-api-child.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;
/** Variables of this process an instance must not inherit: its configuration is exactly `env`. */
const OWN_CONFIG = /^(STRATA_|UPSTASH_|DATABASE_URL$|NEON_|CLICKHOUSE_|PORT$)/;

export interface StateApiFleetOptions {
  readonly count: number;
  /** The variables a deployment sets (tiers, timeouts, spool folder). */
  readonly env: Readonly<Record<string, string>>;
  /** Each instance's stdout/stderr go to `<logDir>/<name>.log`; each gets its own data dir there too. */
  readonly logDir: string;
}

export interface StateApiFleet extends Endpoint {
  readonly size: number;
  /** The instances serving now (named `i<slot>.<generation>`). */
  live(): readonly Picked[];
  /**
   * SIGKILL to one live instance (slots taken in turn), taken out of rotation first so that only requests
   * already in flight meet the crash. Resolves with its slot once the process is gone; refuses to leave fewer
   * than `keep` instances serving (@default 1; 0 for a fleet of one, whose kill is then a full outage).
   */
  kill(keep?: number): Promise<number | undefined>;
  /** A fresh instance (new process, new port) in `slot`; resolves once it listens. */
  restart(slot: number): Promise<void>;
  /** Every slot serving again. */
  restartAll(): Promise<void>;
  /** GET /health/persistence of every serving instance: the tiers as each sees them (breakers included). */
  health(): Promise<ReadonlyArray<InstanceHealth>>;
  close(): Promise<void>;
}

export interface InstanceHealth {
  readonly name: string;
  /** Absent when the instance did not answer. */
  readonly tiers?: Partial<Record<string, { readonly status: 'up' | 'down'; readonly breaker?: string }>>;
}

/** One instance's health answer (200 or 503 both carry it), or nothing within `timeoutMs`. */
async function healthOf({ url, name }: Picked, timeoutMs = 3_000): Promise<InstanceHealth> {
  try {
    const res = await fetch(`${url}/health/persistence`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { tiers?: InstanceHealth['tiers'] };
    return body.tiers ? { name, tiers: body.tiers } : { name };
  } catch {
    return { name };
  }
}

interface Slot {
  readonly index: number;
  generation: number;
  child?: ChildProcess;
  url?: string;
  serving: boolean;
  readonly guard: ServerGuard;
}

function childEnv(env: Readonly<Record<string, string>>, dataDir: string): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !OWN_CONFIG.test(name)),
  );
  // NODE_ENV=production, as on Cloud Functions: Express then puts no stack trace in its own error pages.
  return { ...inherited, NODE_ENV: 'production', ...env, STRATA_DATA_DIR: dataDir };
}

async function launch(slot: Slot, options: StateApiFleetOptions): Promise<void> {
  slot.generation++;
  const name = `i${slot.index}.${slot.generation}`;
  const dataDir = join(options.logDir, `data-${slot.index}`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = openSync(join(options.logDir, `${name}.log`), 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: childEnv(options.env, dataDir),
      stdio: ['ignore', log, log, 'ipc'],
    });
  } finally {
    closeSync(log); // the child holds its own copy
  }
  slot.guard.watch(child);
  slot.child = child;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`state-api instance ${name} did not listen within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`state-api instance ${name} exited before it listened (${signal ?? code}); see its log`),
      );
    });
    child.on('message', (message: InstanceReady) => {
      if (message.type !== 'listening') return;
      clearTimeout(timer);
      resolve(message.port);
    });
  });
  // Neither the process nor its channel may keep the test process alive.
  child.unref();
  child.channel?.unref();
  slot.url = `http://127.0.0.1:${port}`;
  slot.serving = true;
}

export async function startStateApiFleet(options: StateApiFleetOptions): Promise<StateApiFleet> {
  mkdirSync(options.logDir, { recursive: true, mode: 0o700 });
  const slots: Slot[] = Array.from({ length: options.count }, (_, index) => ({
    index,
    generation: 0,
    serving: false,
    guard: guardServer('SIGKILL', join(options.logDir, `data-${index}`)),
  }));
  let kills = 0;
  const nameOf = (slot: Slot) => `i${slot.index}.${slot.generation}`;
  const stop = async (slot: Slot) => {
    slot.serving = false;
    if (isRunning(slot.child)) await terminate(slot.child, 'SIGKILL');
  };
  const fleet: StateApiFleet = {
    size: options.count,
    live: () => slots.filter((s) => s.serving).map((s) => ({ url: s.url!, name: nameOf(s) })),
    pick(rng: Rng, previous?: string): Picked {
      const serving = slots.filter((s) => s.serving);
      // Nothing serving (only while every instance is being replaced): the request fails at the socket.
      if (serving.length === 0) {
        const any = slots.find((s) => s.url) ?? slots[0]!;
        return { url: any.url ?? 'http://127.0.0.1:9', name: nameOf(any) };
      }
      // Mostly another instance than the previous request's: a run's consecutive requests cross instances.
      const others = serving.filter((s) => nameOf(s) !== previous);
      const from = others.length > 0 && rng.next() < 0.85 ? others : serving;
      const slot = rng.pick(from);
      return { url: slot.url!, name: nameOf(slot) };
    },
    async kill(keep = options.count > 1 ? 1 : 0) {
      const serving = slots.filter((s) => s.serving);
      if (serving.length <= keep) return undefined;
      // In turn, starting from the slot after the last one killed: deterministic for a seed.
      const slot = serving.find((s) => s.index >= kills % slots.length) ?? serving[0]!;
      kills = slot.index + 1;
      await stop(slot);
      return slot.index;
    },
    async restart(index) {
      const slot = slots[index]!;
      await stop(slot);
      await launch(slot, options);
    },
    async restartAll() {
      await Promise.all(slots.filter((s) => !s.serving).map((s) => fleet.restart(s.index)));
    },
    health: () => Promise.all(fleet.live().map((instance) => healthOf(instance))),
    async close() {
      await Promise.allSettled(slots.map(stop));
      for (const slot of slots) slot.guard.release();
    },
  };
  try {
    await Promise.all(slots.map((slot) => launch(slot, options)));
  } catch (error) {
    await fleet.close();
    throw error;
  }
  return fleet;
}
