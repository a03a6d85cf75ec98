/**
 * The Node transport of the Upstash client (lib/tiers/hot/upstash-requester.ts) against a loopback server that
 * speaks the REST protocol's envelope: what it sends, what it answers, Redis errors, retries, the sync token.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisOverTransport } from '../../lib/tiers/hot/upstash.ts';
import { keepAliveRequester } from '../../lib/tiers/hot/upstash-requester.ts';
import { bodyOf } from '../support/request-body.ts';

interface Seen {
  readonly url: string;
  readonly authorization: string | undefined;
  readonly syncToken: string | undefined;
  readonly body: unknown;
}
let server: Server;
let url: string;
let seen: Seen[] = [];
/** Requests to drop (socket destroyed, no answer) before answering again. */
let dropNext = 0;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = JSON.parse(await bodyOf(req)) as unknown[];
    if (dropNext > 0) {
      dropNext--;
      req.socket.destroy();
      return;
    }
    seen.push({
      url: req.url ?? '',
      authorization: req.headers.authorization,
      syncToken: req.headers['upstash-sync-token'] as string | undefined,
      body,
    });
    res.setHeader('upstash-sync-token', `token-${seen.length}`);
    const command = String(body[0]).toUpperCase();
    if (command === 'EVALSHA') {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'NOSCRIPT No matching script. Please use EVAL.' }));
    } else if (command === 'HANG') {
      // Never answers; the connection is destroyed by the client's timeout (or at teardown).
    } else if (command === 'BROKEN') {
      res.writeHead(502).end('<html>bad gateway</html>');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result: command === 'EVAL' ? '{"a":1}' : 'OK' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen = [];
  dropNext = 0;
});

const requesterOf = (
  retry?: false | { retries: number; backoff?: (n: number) => number },
  timeoutMs = 2_000,
) =>
  keepAliveRequester({
    url,
    token: 'secret',
    timeoutMs,
    ...(retry !== undefined && { retry }),
  });

describe('keepAliveRequester', () => {
  it('POSTs the command as JSON with the bearer token, and answers the envelope', async () => {
    const requester = requesterOf(false);
    expect(await requester.request({ body: ['SET', 'k', 'v'] })).toEqual({ result: 'OK' });
    expect(seen).toEqual([
      { url: '/', authorization: 'Bearer secret', syncToken: '', body: ['SET', 'k', 'v'] },
    ]);
    await requester.request({ body: ['PING'], path: ['pipeline'] });
    // The sync token the server handed out comes back on the next request (read your writes).
    expect(seen[1]).toMatchObject({ url: '/pipeline', syncToken: 'token-1' });
  });

  it("answers a Redis error as the envelope's error: the client throws it without the command", async () => {
    const redis = new Redis(requesterOf(false));
    const error: unknown = await redis
      .evalsha('abc', ['k'], ['a payload that must not be logged'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('NOSCRIPT');
    expect((error as Error).message).not.toContain('payload');
  });

  it('lets a script fall back from EVALSHA to EVAL on NOSCRIPT, replies as Redis sent them', async () => {
    const script = new RedisOverTransport(requesterOf(false)).createScript<string>('return 1');
    expect(await script.exec(['k'], [])).toBe('{"a":1}');
    expect(seen.map((s) => String((s.body as string[])[0]).toUpperCase())).toEqual(['EVALSHA', 'EVAL']);
  });

  it('refuses a reply that is not JSON, naming only the status', async () => {
    await expect(requesterOf(false).request({ body: ['BROKEN', 'payload'] })).rejects.toThrow(
      /^Upstash answered HTTP 502 with a body that is not JSON$/,
    );
  });

  it('gives up on a reply that does not come within timeoutMs, and does not send it again', async () => {
    const started = performance.now();
    const error: unknown = await requesterOf({ retries: 3, backoff: () => 1 }, 150)
      .request({ body: ['HANG'] })
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(seen.map((s) => (s.body as string[])[0])).toEqual(['HANG']);
  });

  it('retries a network failure as configured, and not at all with retry: false', async () => {
    dropNext = 2;
    expect(await requesterOf({ retries: 2, backoff: () => 1 }).request({ body: ['GET', 'k'] })).toEqual({
      result: 'OK',
    });
    dropNext = 1;
    await expect(requesterOf(false).request({ body: ['GET', 'k'] })).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });
});
