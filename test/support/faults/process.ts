/** Plumbing shared by the throwaway servers: bounded waiting, exit detection and a last-resort reaper. */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

const reapers = new Set<() => void>();
let installed = false;

/**
 * Registers a synchronous cleanup that runs when this process exits, so a server outlives neither a
 * test that crashed before its teardown nor a forgotten `stop()`. Returns the function that unregisters it.
 * Only 'exit' is hooked: catching signals would change how the test runner's own workers shut down.
 */
export function reapOnExit(reap: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', () => {
      for (const r of reapers) {
        try {
          r();
        } catch {
          // Best effort: one failing reaper must not keep the others from running.
        }
      }
    });
  }
  reapers.add(reap);
  return () => reapers.delete(reap);
}

/** Polls `check` until it returns true; bounded in time and in attempts. A throw from `check` aborts at once. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / intervalMs) + 1;
  for (let attempt = 0; attempt < maxAttempts && Date.now() <= deadline; attempt++) {
    if (await check()) return;
    await sleep(intervalMs);
  }
  throw new Error(`${what}: still not ready after ${timeoutMs} ms`);
}

export function isRunning(child: ChildProcess | undefined): child is ChildProcess {
  // No pid means the spawn itself failed (e.g. ENOENT): nothing runs.
  return child?.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Resolves true once `child` has exited, false if it is still running after `timeoutMs`. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (!isRunning(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** Sends `signal`, then SIGKILL if the process is still there after `graceMs`; resolves once it is gone. */
export async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs = 5_000): Promise<void> {
  if (!isRunning(child)) return;
  child.kill(signal);
  if (await exited(child, graceMs)) return;
  child.kill('SIGKILL');
  if (!(await exited(child, graceMs)))
    throw new Error(`process ${child.pid} survived SIGKILL for ${graceMs} ms`);
}

/** Keeps the last `maxChars` of a child's stdout+stderr, to quote in error messages. */
export function outputTail(child: ChildProcess, maxChars = 2_000): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-maxChars);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail.trim();
}
