/**
 * Starts and stops the fuzz service (service.ts) as a child process with a capped heap, captures everything it
 * writes (pino's lines and Express's console.error alike), and answers probe requests over IPC.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeReading, ServiceMessage, ServiceReady, ServiceReply } from './protocol.ts';

const SERVICE = fileURLToPath(new URL('./service.ts', import.meta.url));
/** A heap cap, so an input that makes the service hoard memory ends in an OOM here, not on the shared machine. */
const HEAP_MB = 1024;
const START_TIMEOUT_MS = 60_000;

export interface ServiceProcess extends ServiceReady {
  /** Everything the service wrote to stdout and stderr since it was ready. */
  output(): string;
  alive(): boolean;
  probeReset(): Promise<void>;
  probeRead(gc?: boolean): Promise<ProbeReading>;
  /** `force`: SIGKILL at once (the service hangs); otherwise a clean close, SIGKILL after 5 s. */
  stop(force?: boolean): Promise<void>;
}

export async function startService(): Promise<ServiceProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-fuzz-'));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${HEAP_MB}`, SERVICE],
    { env: { ...process.env, FUZZ_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  let output = '';
  let ready = false;
  let exited = false;
  const capture = (chunk: Buffer) => {
    if (ready) output += chunk.toString('utf8');
  };
  const startup: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => (ready ? capture(chunk) : startup.push(chunk.toString())));
  child.stderr?.on('data', (chunk: Buffer) => (ready ? capture(chunk) : startup.push(chunk.toString())));

  const pending = new Map<
    number,
    { resolve: (reply: ServiceReply) => void; reject: (error: Error) => void }
  >();
  let nextId = 1;
  const ask = (message: ServiceMessage & { id: number }) =>
    new Promise<ServiceReply>((resolve, reject) => {
      if (exited) return reject(new Error('the fuzz service has exited'));
      pending.set(message.id, { resolve, reject });
      child.send(message);
    });

  const readyMessage = await new Promise<ServiceReady>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the fuzz service did not start:\n${startup.join('')}`)),
      START_TIMEOUT_MS,
    );
    child.on('message', (message: ServiceReply) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        ready = true;
        resolve(message);
      } else {
        pending.get(message.id)?.resolve(message);
        pending.delete(message.id);
      }
    });
    child.on('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      for (const { reject: fail } of pending.values())
        fail(new Error(`the fuzz service exited (${code ?? signal})`));
      pending.clear();
      reject(new Error(`the fuzz service exited (${code ?? signal}):\n${startup.join('')}${output}`));
    });
  });

  return {
    ...readyMessage,
    output: () => output,
    alive: () => !exited,
    async probeReset() {
      await ask({ type: 'probe-reset', id: nextId++ });
    },
    async probeRead(gc = false) {
      const reply = await ask({ type: 'probe-read', id: nextId++, gc });
      if (reply.type !== 'probe-read') throw new Error(`unexpected probe reply ${reply.type}`);
      return reply.reading;
    },
    async stop(force = false) {
      if (!exited) {
        if (force) child.kill('SIGKILL');
        const gone = new Promise((resolve) => child.once('exit', resolve));
        if (!force) child.send({ type: 'stop' } satisfies ServiceMessage);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
