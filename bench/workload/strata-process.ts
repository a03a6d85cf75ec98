/** Starts the state-api function in its own child process (strata-child.ts) and reads its CPU over IPC. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ChildReply, ChildRequest } from './strata-child.ts';
import { SystemFailure } from './system.ts';

export interface ChildProbe {
  readonly cpuMs: number;
  readonly logged: number;
  readonly examples: readonly string[];
}

export interface StrataProcess {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly tenantId: string;
  readonly apiKey: string;
  readonly pid: number;
  /** User + system CPU of the function process since it started, and what it logged at warn or above. */
  probe(): Promise<ChildProbe>;
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./strata-child.ts', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const ANSWER_TIMEOUT_MS = 10_000;

export async function startStrataProcess(env: Readonly<Record<string, string>>): Promise<StrataProcess> {
  // BENCH_CPU_PROFILE=<dir>: the function process writes a V8 CPU profile there when it exits (open it in
  // Chrome DevTools or speedscope), so a change to the write path can be profiled under this very workload.
  const profile = process.env.BENCH_CPU_PROFILE;
  const profiling = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const child = spawn(process.execPath, [...profiling, '--import', 'tsx', CHILD], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies = new Map<number, (reply: Extract<ChildReply, { type: 'probe' }>) => void>();
  let nextId = 1;
  try {
    const ready = await new Promise<Extract<ChildReply, { type: 'ready' }>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SystemFailure('state-api child did not start in time')),
        START_TIMEOUT_MS,
      );
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new SystemFailure(`state-api child exited before it listened (code ${code})`));
      });
      child.on('message', (reply: ChildReply) => {
        if (reply.type === 'ready') {
          clearTimeout(timer);
          resolve(reply);
        } else replies.get(reply.id)?.(reply);
      });
    });
    return {
      baseUrl: `http://127.0.0.1:${ready.port}`,
      tenantId: ready.tenantId,
      apiKey: ready.apiKey,
      pid: child.pid!,
      probe() {
        const id = nextId++;
        return new Promise<ChildProbe>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new SystemFailure('state-api child did not report its CPU')),
            ANSWER_TIMEOUT_MS,
          );
          replies.set(id, (reply) => {
            clearTimeout(timer);
            replies.delete(id);
            const { logged, examples } = reply;
            resolve({ cpuMs: (reply.userMicros + reply.systemMicros) / 1000, logged, examples });
          });
          child.send({ type: 'probe', id } satisfies ChildRequest);
        });
      },
      close: () => stop(child),
    };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (child.connected) child.send({ type: 'stop' } satisfies ChildRequest);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
