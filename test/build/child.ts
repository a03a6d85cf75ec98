/** Child processes of the built-artifact test: started, awaited until they print a line, stopped time-boxed. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface Child {
  readonly process: ChildProcess;
  /** Everything it printed (stdout and stderr), for a failure message. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `args` with `node`, resolving once a line matches `ready` (or once it runs, without one); rejects if it
 * exits first or `timeoutMs` passes.
 */
export async function startChild(
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; ready?: RegExp; timeoutMs?: number },
): Promise<Child & { readonly match: RegExpMatchArray | null }> {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: 'pipe' });
  let printed = '';
  const handle: Child = { process: child, output: () => printed, stop: () => stopChild(child) };
  try {
    const match = await new Promise<RegExpMatchArray | null>((resolve, reject) => {
      const ready = options.ready;
      if (!ready) child.once('spawn', () => resolve(null));
      const timer = setTimeout(
        () => reject(new Error(`${args.join(' ')} printed no ${options.ready} in time:\n${printed}`)),
        options.timeoutMs ?? 30_000,
      );
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${args.join(' ')} exited early (code ${code}):\n${printed}`));
      });
      const onData = (chunk: Buffer) => {
        printed += chunk.toString('utf8');
        const found = ready ? printed.match(ready) : null;
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    return { ...handle, match };
  } catch (error) {
    await handle.stop();
    throw error;
  }
}

/** SIGTERM, then SIGKILL after 5 s: teardown never hangs on a child that ignores the first. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Polls `url` until it answers anything (an HTTP status), bounded; fails at once if `child` has exited. */
export async function waitUntilServing(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`the function exited:\n${child.output()}`);
    const answered = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${child.output()}`);
}
