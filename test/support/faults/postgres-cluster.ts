/** A throwaway Postgres cluster (own data dir and port) for tests that crash and restart Postgres. */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../ports.ts';
import { exited, guardServer, isRunning, sleep, terminate, unrefChild, waitFor } from './process.ts';

const run = promisify(execFile);

export interface PostgresClusterOptions {
  /** @default a free loopback port */
  port?: number;
  /** How long `start()` waits for "accepting connections". @default 15_000 */
  readyTimeoutMs?: number;
}

export interface PostgresCluster {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  readonly connectionString: string;
  /** Kept across stop/start, so WAL crash recovery is what a restart exercises. */
  readonly dataDir: string;
  /** `pg_ctl stop -m immediate`: backends are killed without a checkpoint, as in a crash. */
  stopImmediate(): Promise<void>;
  /** SIGKILL to the postmaster alone; its backends notice and exit on their own, as in production. */
  kill9(): Promise<void>;
  /** Starts the same data dir on the same port and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops whatever runs and removes the directory. Safe to call twice. */
  destroy(): Promise<void>;
}

export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const bin = findBinDir();
  const user = serverUser();
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const dir = mkdtempSync(join(tmpdir(), 'strata-pg-'));
  const dataDir = join(dir, 'data');
  const logPath = join(dir, 'postgres.log');
  let postmaster: ChildProcess | undefined;
  // SIGQUIT is the immediate shutdown: the postmaster still takes its backends down with it.
  const guard = guardServer('SIGQUIT', dir);
  // initdb and postgres refuse to run as root: hand the directory to the server user.
  if (user) chownSync(dir, user.uid, user.gid);
  const asServer = { cwd: dir, ...(user ?? {}) };

  const port = options.port ?? (await freePort());
  const start = async () => {
    if (isRunning(postmaster)) return;
    // Orphaned backends of a kill9 hold the shared memory a moment after the postmaster died: retry (bounded).
    for (let attempt = 1; attempt <= 20; attempt++) {
      const logFd = openSync(logPath, 'a');
      const logStart = fstatSync(logFd).size;
      const child = spawn(join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), ...SETTINGS(dir)], {
        ...asServer,
        stdio: ['ignore', logFd, logFd],
      });
      closeSync(logFd);
      guard.watch(child);
      unrefChild(child);
      let spawnError: Error | undefined;
      child.once('error', (error) => {
        spawnError = error;
      });
      try {
        await waitFor(
          `postgres on 127.0.0.1:${port}`,
          async () => {
            if (spawnError) throw spawnError;
            if (!isRunning(child))
              throw new Error(readFileSync(logPath).subarray(logStart).toString().trim());
            return accepting(bin, port);
          },
          { timeoutMs: readyTimeoutMs, intervalMs: 100 },
        );
        postmaster = child;
        return;
      } catch (error) {
        await terminate(child, 'SIGQUIT');
        const transient = /shared memory block|already exists/.test(String(error));
        if (!transient || attempt === 20) throw new Error(`postgres did not start: ${String(error)}`);
        await sleep(250);
      }
    }
  };

  try {
    await run(
      join(bin, 'initdb'),
      ['-D', dataDir, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C'],
      {
        ...asServer,
        timeout: 60_000,
      },
    );
    await start();
  } catch (error) {
    guard.release();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const stopImmediate = async () => {
    if (!isRunning(postmaster)) return;
    await run(join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '10'], asServer);
    if (!(await exited(postmaster, 5_000))) await terminate(postmaster, 'SIGKILL');
  };
  return {
    port,
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    stopImmediate,
    async kill9() {
      if (isRunning(postmaster)) await terminate(postmaster, 'SIGKILL');
    },
    start,
    async destroy() {
      try {
        await stopImmediate();
      } catch {
        if (isRunning(postmaster)) await terminate(postmaster, 'SIGKILL');
      }
      releaseSharedMemory(dataDir);
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      guard.release();
    },
  };
}

/** Speed without cheating on durability: fsync stays on, since tests check what survives a crash. */
const SETTINGS = (socketDir: string) =>
  [
    'listen_addresses=127.0.0.1',
    `unix_socket_directories=${socketDir}`,
    'shared_buffers=32MB',
    'max_connections=100',
  ].flatMap((setting) => ['-c', setting]);

async function accepting(bin: string, port: number): Promise<boolean> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-t', '1'];
  return run(join(bin, 'pg_isready'), args, { timeout: 3_000 }).then(
    () => true,
    () => false,
  );
}

/** The newest `/usr/lib/postgresql/<major>/bin` that has initdb. */
function findBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  for (const major of majors.sort((a, b) => Number(b) - Number(a))) {
    const bin = join(root, major, 'bin');
    if (existsSync(join(bin, 'initdb'))) return bin;
  }
  throw new Error(`No initdb under ${root}/*/bin: install the PostgreSQL server package (postgresql).`);
}

/** As root we run the server as the `postgres` OS user (Node sets uid/gid itself: no su/runuser, real PID). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A postmaster killed with SIGKILL leaves its SysV interlock segment behind (a restart would reuse and
 * clean it). Line 7 of postmaster.pid holds "<key> <shmid>"; ipcrm only marks it, so attached orphans are safe.
 */
function releaseSharedMemory(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const shmid = readFileSync(pidFile, 'utf8').split('\n')[6]?.trim().split(/\s+/)[1];
  if (shmid && /^\d+$/.test(shmid)) {
    try {
      execFileSync('ipcrm', ['-m', shmid], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  }
}
