/**
 * Scheduled functions behind Cloud Scheduler's OIDC check, served by functions-framework's test server: only a
 * token signed by the (test) issuer, for the function's audience, from the scheduler's account, runs the job.
 */
import { randomUUID } from 'node:crypto';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulerAuth } from '../../lib/auth/scheduler-oidc.ts';
import { scheduledHandler } from '../../lib/http/scheduled.ts';
import { archiveCompleted } from '../../lib/lifecycle/archive-completed.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import { type StrataFixture, startStrata } from '../support/strata.ts';

const AUDIENCE = 'https://archive-completed-test.a.run.app';
const SCHEDULER = 'scheduler@strata-test.iam.gserviceaccount.com';
let strata: StrataFixture;
let server: ReturnType<typeof getTestServer>;
let token: (claims?: Record<string, unknown>) => Promise<string>;

beforeAll(async () => {
  strata = await startStrata({ archive: true });
  const keys = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'test', alg: 'RS256' };
  const auth = createSchedulerAuth({
    audience: AUDIENCE,
    allowedEmails: [SCHEDULER],
    keys: createLocalJWKSet({ keys: [jwk] }),
  });
  const name = `archive-completed-${randomUUID()}`;
  const job = () =>
    archiveCompleted(strata.lifecycle!, {
      batchSize: 100,
      leaseMs: 60_000,
      hotRetentionMs: 3_600_000,
      durableRetentionMs: 30 * 86_400_000,
    });
  ff.http(
    name,
    scheduledHandler(name, job, async () => ({ deps: strata.lifecycle!, auth }), silentLogger),
  );
  server = getTestServer(name);
  const now = Math.floor(Date.now() / 1000);
  token = (claims = {}) =>
    new SignJWT({
      iss: 'https://accounts.google.com',
      aud: AUDIENCE,
      iat: now,
      exp: now + 300,
      email: SCHEDULER,
      email_verified: true,
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'test' })
      .sign(keys.privateKey);
});
afterAll(async () => strata?.close());

describe('scheduled function over HTTP', () => {
  it('runs the job for Cloud Scheduler and answers its report', async () => {
    const { apiKey } = await strata.createTenant('mid');
    const state = { agentName: 'a', status: 'running', step: 1, data: {} };
    await strata.put(apiKey, 'sched-run', { state, checkpoint: 'CRITICAL', expectedVersion: 0 });
    await strata.post(apiKey, '/v1/runs/sched-run/complete', { status: 'completed' });
    const res = await request(server)
      .post('/')
      .set('authorization', `Bearer ${await token()}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      job: expect.stringContaining('archive-completed'),
      report: { runs: 1 },
    });
  });

  it.each([
    ['no token', async () => undefined, 401, 'unauthorized'],
    [
      'a token for another audience',
      async () => `Bearer ${await token({ aud: 'https://other.a.run.app' })}`,
      401,
      'unauthorized',
    ],
    [
      'a token of another account',
      async () => `Bearer ${await token({ email: 'intruder@evil.iam.gserviceaccount.com' })}`,
      403,
      'forbidden',
    ],
    ['an API key', async () => 'Bearer sk_strata_abc', 401, 'unauthorized'],
  ])('refuses %s', async (_name, header, status, code) => {
    const authorization = await header();
    const res = await request(server)
      .post('/')
      .set(authorization ? { authorization } : {});
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
  });

  it('is triggered with POST only', async () => {
    const res = await request(server)
      .get('/')
      .set('authorization', `Bearer ${await token()}`);
    expect(res.status).toBe(405);
  });
});
