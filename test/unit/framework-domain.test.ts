/**
 * Strata's HTTP functions are served without functions-framework's per-request `node:domain`
 * (lib/http/framework-domain.ts): no Domain is created for their requests, so the domain module's async hook —
 * a cost on every promise of the process — is never turned on. A plain function registered beside them still
 * gets the framework's domain, which is what shows the probe can tell the difference.
 */
import { randomUUID } from 'node:crypto';
import domain from 'node:domain';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expressHandler } from '../../lib/http/express.ts';
import { servedWithoutDomain } from '../../lib/http/framework-domain.ts';
import { Router } from '../../lib/http/router.ts';
import { scheduledHandler } from '../../lib/http/scheduled.ts';
import { createLogger } from '../../lib/observability/logger.ts';

function serve(fn: Parameters<typeof ff.http>[1]) {
  const name = `probe-${randomUUID()}`;
  ff.http(name, fn);
  return getTestServer(name);
}

/** Whether this code runs inside a domain (`process.domain` is not in @types/node). */
const inDomain = () => (process as { domain?: unknown }).domain != null;

const lines: string[] = [];
const log = createLogger('info', { write: (line: string) => void lines.push(line) });

afterEach(() => {
  vi.restoreAllMocks();
  lines.length = 0;
});

describe("functions-framework's request domain", () => {
  it('is there for a plain function (the control: the probe sees it)', async () => {
    const created = vi.spyOn(domain, 'create');
    const server = serve((_req, res) => {
      res.json({ inDomain: inDomain() });
    });
    const res = await request(server).get('/');
    expect(res.body).toEqual({ inDomain: true });
    expect(created).toHaveBeenCalledTimes(1);
  });

  it('is not created for a function served without it', async () => {
    const created = vi.spyOn(domain, 'create');
    const server = serve(
      servedWithoutDomain((_req, res) => {
        res.json({ inDomain: inDomain() });
      }, log),
    );
    const res = await request(server).get('/');
    expect(res.body).toEqual({ inDomain: false });
    expect(created).not.toHaveBeenCalled();
  });

  it("is not created for the state API's adapter nor a scheduled job's", async () => {
    const created = vi.spyOn(domain, 'create');
    const router = new Router<null>().on('GET', '/probe', async () => ({
      status: 200,
      body: { inDomain: inDomain() },
    }));
    const api = serve(expressHandler(router, async () => null, log));
    expect((await request(api).get('/probe')).body).toEqual({ inDomain: false });
    const job = serve(
      scheduledHandler(
        'probe',
        async () => ({ ran: true }),
        async () => ({ deps: null, auth: async () => ({ email: 'x' }) }),
        log,
      ),
    );
    const answered = await request(job).post('/').set('authorization', 'Bearer t');
    expect(answered.status).toBe(200);
    expect(created).not.toHaveBeenCalled();
  });

  it('answers a rejection that escapes the handler with a JSON 500, its message kept out of the log', async () => {
    const server = serve(
      servedWithoutDomain(async () => {
        throw new Error('SECRET-BODY-MARKER');
      }, log),
    );
    const res = await request(server).get('/');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: 'internal', requestId: expect.any(String) });
    expect(lines.join('\n')).toContain(res.body.requestId);
    expect(lines.join('\n')).not.toContain('SECRET-BODY-MARKER');
  });
});
