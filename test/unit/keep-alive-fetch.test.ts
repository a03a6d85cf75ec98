/**
 * keepAliveFetch (lib/http/keep-alive-fetch.ts) answers what the global fetch would, for what the Neon driver
 * asks of it: a POST with headers and a JSON body, the status, the body as JSON or text, an abort.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTimeout, keepAliveFetch, keepAlivePost } from '../../lib/http/keep-alive-fetch.ts';
import { bodyOf } from '../support/request-body.ts';

let server: Server;
let base: string;
const sockets = new Set<unknown>();
let seenSlow = 0;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await bodyOf(req);
    if (req.url === '/echo') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-seen': 'yes' });
      res.end(JSON.stringify({ method: req.method, header: req.headers['neon-array-mode'], body }));
    } else if (req.url === '/bad') {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"no such table"}');
    } else if (req.url === '/empty') {
      res.writeHead(204).end();
    } else if (req.url === '/slow') {
      seenSlow++;
      setTimeout(() => res.writeHead(200).end('late'), 2_000).unref();
    } else if (req.url === '/chunks') {
      // A multi-byte character split across writes, and a header sent twice.
      res.writeHead(200, [
        ['x-twice', 'a'],
        ['x-twice', 'b'],
      ]);
      const bytes = Buffer.from('{"text":"é🌍é"}');
      res.write(bytes.subarray(0, 11));
      setTimeout(() => res.end(bytes.subarray(11)), 10);
    }
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('keepAliveFetch', () => {
  it('sends the method, headers and body, and answers status, headers and body', async () => {
    const reply = await keepAliveFetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'Neon-Array-Mode': 'true', 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'SELECT 1' }),
    });
    expect(reply.ok).toBe(true);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-seen')).toBe('yes');
    expect(await reply.json()).toEqual({ method: 'POST', header: 'true', body: '{"query":"SELECT 1"}' });
  });

  it('reads a body once, as a Response does, by any of its readers', async () => {
    const reply = await keepAliveFetch(`${base}/echo`, { method: 'POST', body: 'é' });
    expect(reply.bodyUsed).toBe(false);
    expect(await reply.text()).toBe('{"method":"POST","body":"é"}');
    expect(reply.bodyUsed).toBe(true);
    await expect(reply.json()).rejects.toThrow(TypeError);
    const bytes = await (await keepAliveFetch(`${base}/echo`, { method: 'POST', body: 'é' })).arrayBuffer();
    expect(new TextDecoder().decode(bytes)).toBe('{"method":"POST","body":"é"}');
  });

  it('reuses its connection across calls', async () => {
    sockets.clear();
    for (let i = 0; i < 5; i++)
      await (await keepAliveFetch(`${base}/echo`, { method: 'POST', body: 'x' })).text();
    expect(sockets.size).toBeLessThanOrEqual(1);
  });

  it('answers an error status with its body, and a 204 without one', async () => {
    const bad = await keepAliveFetch(`${base}/bad`, { method: 'POST', body: '{}' });
    expect(bad.ok).toBe(false);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ message: 'no such table' });
    const empty = await keepAliveFetch(`${base}/empty`, { method: 'POST', body: '' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  it('rejects with the reason of its signal, and when nothing listens', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('the caller gave up')), 50);
    await expect(
      keepAliveFetch(`${base}/slow`, { method: 'POST', body: '', signal: abort.signal }),
    ).rejects.toThrow('the caller gave up');
    await expect(keepAliveFetch('http://127.0.0.1:1/', { method: 'POST', body: '' })).rejects.toThrow();
  });

  it('sends nothing when its signal has aborted already', async () => {
    const before = seenSlow;
    const signal = AbortSignal.abort(new Error('already over'));
    await expect(keepAliveFetch(`${base}/slow`, { method: 'POST', body: '', signal })).rejects.toThrow(
      'already over',
    );
    await (await keepAliveFetch(`${base}/echo`, { method: 'POST', body: '' })).text();
    expect(seenSlow).toBe(before);
  });

  it('joins a body that came in pieces, multi-byte characters split between them', async () => {
    const reply = await keepAliveFetch(`${base}/chunks`, { method: 'POST', body: '' });
    expect(reply.headers.get('x-twice')).toBe('a, b');
    expect(await reply.json()).toEqual({ text: 'é🌍é' });
  });
});

describe('keepAlivePost', () => {
  it('answers status, headers (a repeated one joined) and text', async () => {
    const reply = await keepAlivePost(`${base}/chunks`, { 'content-type': 'application/json' }, '{}');
    expect(reply.status).toBe(200);
    expect(reply.header('X-Twice')).toBe('a, b');
    expect(reply.text).toBe('{"text":"é🌍é"}');
  });

  it('gives up at its timeout with an error isTimeout recognises', async () => {
    const late = keepAlivePost(`${base}/slow`, {}, '', 100);
    await expect(late).rejects.toSatisfy(isTimeout);
    expect(isTimeout(new Error('refused'))).toBe(false);
  });
});
