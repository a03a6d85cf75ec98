/** Plumbing shared by the throwaway servers: bounded waiting, exit detection, and guards against leaks. */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

const reapers = new Set<() => void>();

/** Runs the synchronous `reap` when this process exits normally (process.exit, end of the event loop). */
function reapOnExit(reap: () => void): () => void {
  if (reapers.size === 0) process.once('exit', runReapers);
  reapers.add(reap);
  return () => {
    reapers.delete(reap);
    if (reapers.size === 0) process.off('exit', runReapers);
  };
}

function runReapers(): void {
  for (const reap of reapers) {
    try {
      reap();
    } catch {
      // Best effort: one failing reaper must not keep the others from running.
    }
  }
}

/** Keeps a throwaway server (its current process and its directory) from outliving this process. */
export interface ServerGuard {
  /** The process to kill if we die; call again after every (re)start. */
  watch(child: ChildProcess): void;
  /** Normal teardown is done: stop guarding. */
  release(): void;
}

/**
 * Two layers. process.on('exit') kills at once on a normal exit. It is not enough alone: vitest stops
 * fork workers with SIGTERM (then SIGKILL), which skip 'exit' handlers (seen leaking servers here). So a
 * detached `sh` watchdog also holds a pipe from us: the kernel closes it however we die, and the
 * watchdog then signals the server and removes its directory.
 */
export function guardServer(signal: 'SIGKILL' | 'SIGQUIT', dir: string): ServerGuard {
  let current: ChildProcess | undefined;
  const watchdog = startWatchdog(signal.slice(3), dir);
  const unregister = reapOnExit(() => {
    if (isRunning(current)) current.kill(signal);
    rmSync(dir, { recursive: true, force: true });
    watchdog.send('done'); // its job is done: spare it a second signal to a pid that may be recycled
  });
  return {
    watch(child) {
      current = child;
      watchdog.send(`watch ${child.pid}`);
      // Forget a pid once it has exited, so a recycled pid can never be signalled.
      child.once('exit', () => {
        if (current === child) watchdog.send('watch -');
      });
    },
    release() {
      unregister();
      watchdog.send('done');
    },
  };
}

// Reads commands from our pipe; EOF without "done" means this process died, however it died.
const WATCHDOG = `trap '' INT TERM HUP
pid=
while read -r word arg; do
  case "$word" in watch) pid="$arg" ;; done) exit 0 ;; esac
done
case "$pid" in ''|*[!0-9]*) ;; *) kill -"$1" "$pid" 2>/dev/null; sleep 1 ;; esac
rm -rf "$2"`;

function startWatchdog(signal: string, dir: string): { send(line: string): void } {
  const child = spawn('sh', ['-c', WATCHDOG, 'watchdog', signal, dir], {
    detached: true, // own session: a Ctrl-C to the test run must not kill it before it has done its job
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.unref();
  child.on('error', () => {});
  child.stdin?.on('error', () => {}); // EPIPE if it is gone already: nothing left to guard
  return {
    send(line) {
      if (!child.stdin?.writable) return;
      child.stdin.write(`${line}\n`);
      if (line === 'done') child.stdin.end();
    },
  };
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

/** A forgotten server must not keep the test process alive, or its exit reaper could never run. */
export function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as Socket | null)?.unref();
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
