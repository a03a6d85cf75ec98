/** A throwaway redis-server on a loopback port, for tests that kill or restart Redis (never the shared 6379). */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../ports.ts';
import {
  guardServer,
  isRunning,
  outputTail,
  type ServerGuard,
  terminate,
  unrefChild,
  waitFor,
} from './process.ts';

export interface RedisServerOptions {
  /** @default a free loopback port */
  port?: number;
  /** How long to wait for the first PONG. @default 10_000 */
  readyTimeoutMs?: number;
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** PID of the current redis-server process; changes on `restart()`. */
  readonly pid: number;
  /** Sends `signal` (default SIGKILL: a crash, no shutdown work) and waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills the current process if any, then starts an empty server on the same port and waits for PONG. */
  restart(): Promise<void>;
  /** Kills the server and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'strata-redis-'));
  let child: ChildProcess | undefined;
  const guard = guardServer('SIGKILL', dir);

  // A port found free may be taken before redis binds it: retry with another unless the caller chose it.
  let port = options.port ?? (await freePort());
  for (let attempt = 1; ; attempt++) {
    try {
      child = await launch(port, dir, readyTimeoutMs, guard);
      break;
    } catch (error) {
      const retry = options.port === undefined && attempt < 3 && /already in use/i.test(String(error));
      if (!retry) {
        guard.release();
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      port = await freePort();
    }
  }

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (isRunning(child)) await terminate(child, signal);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? -1;
    },
    kill,
    async restart() {
      await kill('SIGKILL');
      // `--save ''` keeps nothing on disk, but clear the dir anyway so "empty" never depends on config.
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { mode: 0o700 });
      child = await launch(port, dir, readyTimeoutMs, guard);
    },
    async stop() {
      await kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      guard.release();
    },
  };
}

async function launch(
  port: number,
  dir: string,
  readyTimeoutMs: number,
  guard: ServerGuard,
): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', [...args, '--daemonize', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  guard.watch(child);
  unrefChild(child);
  const tail = outputTail(child);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  try {
    await waitFor(
      `redis-server on 127.0.0.1:${port}`,
      async () => {
        if (spawnError) throw new Error(`cannot run redis-server (is it on PATH?): ${spawnError.message}`);
        if (!isRunning(child)) throw new Error(`redis-server exited early: ${tail()}`);
        return ping(port);
      },
      { timeoutMs: readyTimeoutMs },
    );
  } catch (error) {
    if (isRunning(child)) child.kill('SIGKILL');
    throw error;
  }
  return child;
}

/** One raw RESP PING; true on PONG. Raw so that readiness does not depend on the client under test. */
function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
