/**
 * The Upstash bridge and the Neon proxy in a child process (`infra/start-bridges.ts`, what `npm run bridges`
 * runs), for benchmarks under load: in production they are other machines, so their work must not be counted
 * in — or queue behind — the event loop of the process being measured.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface BridgesProcess {
  readonly upstashUrl: string;
  readonly upstashToken: string;
  /** `host:port`, as NEON_LOCAL_PROXY takes it. */
  readonly localProxy: string;
  readonly pid: number;
  close(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('../../infra/start-bridges.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;

export async function startBridgesProcess(): Promise<BridgesProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    // Port 0: free ports, read back from what the script prints.
    env: { ...process.env, UPSTASH_BRIDGE_PORT: '0', NEON_PROXY_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const printed = await readExports(child);
    const need = (name: string) => {
      const value = printed.get(name);
      if (!value) throw new Error(`start-bridges printed no ${name}`);
      return value;
    };
    return {
      upstashUrl: need('UPSTASH_REDIS_REST_URL'),
      upstashToken: need('UPSTASH_REDIS_REST_TOKEN'),
      localProxy: need('NEON_LOCAL_PROXY'),
      pid: child.pid!,
      close: () => stop(child),
    };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

/** The `export NAME=value` lines the script prints once both servers listen. */
function readExports(child: ChildProcess): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const found = new Map<string, string>();
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('bridges did not start in time')), START_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start-bridges exited early (code ${code})`));
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (const match of buffered.matchAll(/^export (\w+)=(\S+)$/gm)) found.set(match[1]!, match[2]!);
      if (buffered.includes('npm run db:migrate')) {
        clearTimeout(timer);
        resolve(found);
      }
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
