/**
 * The fuzz harness: a service process with seeded runs, a raw HTTP client (Node's http.request, so duplicated
 * headers, bogus encodings and broken escapes go out as written), placeholders filled in, and snapshots of
 * everything a refused request must leave alone.
 */
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { type FuzzCase, MARK, type RunTarget } from './arbitraries/case.ts';
import { type ServiceProcess, startService } from './service-process.ts';

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** A request as it went out, for a counterexample a person can replay. */
export interface Sent {
  readonly method: string;
  readonly target: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Buffer;
  readonly marker: string;
}

export type Outcome =
  | { readonly answer: Answer; readonly error?: undefined }
  | { readonly answer?: undefined; readonly error: string };

const REQUEST_TIMEOUT_MS = Number(process.env.FUZZ_REQUEST_TIMEOUT_MS ?? 5_000);

export function sendRaw(port: number, sent: Sent, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Outcome> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of sent.headers) {
    const had = headers[name];
    headers[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  // Node sends no Content-Length on a GET/DELETE/OPTIONS body of its own accord: say it, or the body is read as
  // the next request.
  if (sent.body !== undefined && headers['content-length'] === undefined)
    headers['content-length'] = String(sent.body.length);
  return new Promise((resolve) => {
    const req = request({
      host: '127.0.0.1',
      port,
      method: sent.method,
      path: sent.target,
      headers,
      agent: false,
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          answer: { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) },
        });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        resolve({ error: `response broke off: ${error.message}` });
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      resolve({ error: `connection failed: ${error.message}` });
    });
    req.end(sent.body);
  });
}

export function describeSent(sent: Sent): string {
  const body = sent.body ? sent.body.toString('utf8') : '';
  const shown = body.length > 400 ? `${body.slice(0, 400)}… (${sent.body?.length} bytes)` : body;
  return [
    `${sent.method} ${sent.target}`,
    ...sent.headers.map(([n, v]) => `${n}: ${v.length > 120 ? `${v.slice(0, 120)}…` : v}`),
    '',
    shown,
  ].join('\n');
}

const SEED_STATE = { agentName: 'planner', status: 'running', step: 1, data: { seed: true } };

export class Harness {
  #service!: ServiceProcess;
  #heads = new Map<string, number>();
  #runs = { seed0: '', seed1: '', done: '' };
  #cursor = '';
  #counter = 0;
  #epoch = 0;
  /** The service's RSS (after gc) and peak RSS once seeded: what invariant 4 measures growth from. */
  baseline = { rssBytes: 0, maxRssBytes: 0 };

  static async open(): Promise<Harness> {
    const harness = new Harness();
    await harness.#start();
    return harness;
  }

  get service(): ServiceProcess {
    return this.#service;
  }

  /** All service output since the first start, restarts included. */
  #earlierOutput = '';
  output(): string {
    return this.#earlierOutput + this.#service.output();
  }

  async #start(): Promise<void> {
    this.#service = await startService();
    this.#epoch += 1;
    this.#heads.clear();
    const id = (name: string) => `fz-${name}-${this.#epoch}`;
    this.#runs = { seed0: id('seed0'), seed1: id('seed1'), done: id('done') };
    const { seed0, seed1, done } = this.#runs;
    for (let v = 0; v < 3; v++)
      await this.#setup('PUT', `/v1/runs/${seed0}/state`, {
        expectedVersion: v,
        state: { ...SEED_STATE, step: v },
      });
    await this.#setup('PUT', `/v1/runs/${seed1}/state`, {
      expectedVersion: 0,
      state: { ...SEED_STATE, agentName: 'worker', parentRunId: seed0 },
    });
    await this.#setup('PUT', `/v1/runs/${seed1}/state`, {
      baseVersion: 1,
      patch: [{ op: 'add', path: '/data/more', value: 1 }],
    });
    await this.#setup('PUT', `/v1/runs/${done}/state`, { expectedVersion: 0, state: SEED_STATE });
    await this.#setup('POST', `/v1/runs/${done}/complete`, { status: 'completed' });
    for (const run of [seed0, seed1, done]) {
      const head = JSON.parse((await this.#setup('GET', `/v1/runs/${run}/state`)).toString()) as {
        version: number;
      };
      this.#heads.set(run, head.version);
    }
    const page = JSON.parse((await this.#setup('GET', '/v1/runs?limit=1')).toString()) as {
      nextCursor?: string;
    };
    this.#cursor = page.nextCursor ?? '';
    const reading = await this.#service.probeRead(true);
    this.baseline = { rssBytes: reading.rssBytes, maxRssBytes: reading.maxRssBytes };
  }

  /** A request the harness itself needs; anything but a 2xx is a broken harness, not a finding. */
  async #setup(method: string, target: string, body?: unknown): Promise<Buffer> {
    const outcome = await sendRaw(this.#service.port, {
      method,
      target,
      headers: [
        ['authorization', `Bearer ${this.#service.apiKey}`],
        ...(body === undefined ? [] : [['content-type', 'application/json'] as const]),
      ],
      ...(body !== undefined && { body: Buffer.from(JSON.stringify(body)) }),
      marker: '',
    });
    if (!outcome.answer || outcome.answer.status >= 300) {
      throw new Error(
        `fuzz setup ${method} ${target} failed: ${outcome.error ?? `${outcome.answer?.status} ${outcome.answer?.body}`}`,
      );
    }
    const answer = outcome.answer;
    const version = answer.body.length
      ? (JSON.parse(answer.body.toString()) as { version?: unknown }).version
      : undefined;
    const run = /^\/v1\/runs\/([^/?]+)\/(state|restore)/.exec(target)?.[1];
    if (method !== 'GET' && run && typeof version === 'number') this.#heads.set(run, version);
    return answer.body;
  }

  /** Kill the service (it hung or died) and start a fresh one with fresh seeds. */
  async restart(): Promise<void> {
    this.#earlierOutput += this.#service.output();
    await this.#service.stop(true);
    await this.#start();
  }

  async #runId(target: RunTarget | undefined): Promise<string> {
    if (target === undefined) return '';
    if (typeof target !== 'string') return target.raw;
    if (target === 'fresh') return `fz-fresh-${this.#epoch}-${++this.#counter}`;
    if (target === 'scratch') {
      const run = `fz-scratch-${this.#epoch}-${++this.#counter}`;
      await this.#setup('PUT', `/v1/runs/${run}/state`, { expectedVersion: 0, state: SEED_STATE });
      return run;
    }
    return this.#runs[target];
  }

  /** Fill in a case's placeholders (creating its scratch run if it has one): the request as it will go out. */
  async render(c: FuzzCase): Promise<Sent> {
    const run = await this.#runId(c.run);
    const head = this.#heads.get(run) ?? 0;
    const marker = `FUZZ${this.#epoch}x${++this.#counter}MARK`;
    const fill = (text: string) =>
      text
        .replaceAll('$KEY', this.#service.apiKey)
        .replaceAll('$FOREIGN', this.#service.foreignApiKey)
        .replaceAll('$HEAD', String(head))
        .replaceAll('$NEXT', String(head + 1))
        .replaceAll('$SEED0', this.#runs.seed0)
        .replaceAll('$CURSOR', encodeURIComponent(this.#cursor));
    const path = c.path.replaceAll('{run}', run);
    const text = c.body
      ?.replaceAll('"$HEAD"', String(head))
      .replaceAll('"$NEXT"', String(head + 1))
      .replaceAll(MARK, marker);
    return {
      method: c.method,
      target: c.query === undefined ? path : `${path}?${fill(c.query)}`,
      headers: c.headers.map(([name, value]) => [name, fill(value)] as const),
      ...(text !== undefined && { body: encode(text, c.encoding ?? 'utf8') }),
      marker,
    };
  }

  /** Send it; a 2xx save or restore moves the harness's idea of the head. A service that did not answer is restarted. */
  async send(sent: Sent): Promise<Outcome> {
    const outcome = await sendRaw(this.#service.port, sent);
    const answer = outcome.answer;
    if (!answer || !this.#service.alive()) {
      await this.restart();
      return outcome;
    }
    const run = /^\/v1\/runs\/([^/?]+)/.exec(sent.target)?.[1];
    if (run && answer.status === 204) this.#heads.delete(run);
    if (run && answer.status < 300 && sent.method !== 'GET' && answer.body.length > 0) {
      const version = safeJson(answer.body)?.version;
      if (typeof version === 'number') this.#heads.set(run, version);
    }
    return outcome;
  }

  /** Everything a refused request must leave as it was: heads, hashes, histories, and both tenants' run index. */
  async snapshot(): Promise<string> {
    const key = this.#service.apiKey;
    const get = async (target: string, apiKey = key) => {
      const outcome = await sendRaw(this.#service.port, {
        method: 'GET',
        target,
        headers: [['authorization', `Bearer ${apiKey}`]],
        marker: '',
      });
      return outcome.answer
        ? `${outcome.answer.status} ${outcome.answer.body.toString()}`
        : `no answer: ${outcome.error}`;
    };
    const parts: string[] = [];
    for (const run of Object.values(this.#runs)) {
      // Only what identifies the head: `servedBy` may change as a load promotes a copy, and that is no change.
      const head = await get(`/v1/runs/${run}/state`);
      const { version, hash } = safeJson(Buffer.from(head.slice(4))) ?? {};
      parts.push(
        `${head.slice(0, 3)} ${run} v${version} ${hash}`,
        await get(`/v1/runs/${run}/checkpoints?limit=1000`),
      );
    }
    parts.push(
      await get('/v1/runs?limit=1000'),
      await get('/v1/runs?limit=1000', this.#service.foreignApiKey),
    );
    return parts.join('\n');
  }

  async close(): Promise<void> {
    await this.#service?.stop();
  }
}

function encode(text: string, encoding: NonNullable<FuzzCase['encoding']>): Buffer {
  if (encoding === 'gzip') return gzipSync(Buffer.from(text, 'utf8'));
  return Buffer.from(text, encoding);
}

export function safeJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
