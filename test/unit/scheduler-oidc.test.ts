import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSchedulerAuth, type SchedulerAuth } from '../../lib/auth/scheduler-oidc.ts';
import { Forbidden, Unauthorized } from '../../lib/errors.ts';

const AUDIENCE = 'https://europe-west1-strata.cloudfunctions.net/archive-completed';
const SCHEDULER = 'scheduler@strata.iam.gserviceaccount.com';
let auth: SchedulerAuth;
let sign: (claims: JWTPayload, options?: { key?: CryptoKey; alg?: string }) => Promise<string>;
let strangerKey: CryptoKey;

beforeAll(async () => {
  const google = await generateKeyPair('RS256', { extractable: true });
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(google.publicKey)), kid: 'k1', alg: 'RS256' };
  auth = createSchedulerAuth({
    audience: AUDIENCE,
    allowedEmails: [SCHEDULER],
    keys: createLocalJWKSet({ keys: [jwk] }),
  });
  const now = () => Math.floor(Date.now() / 1000);
  // Defaults of a good token; a test overrides any claim to make it bad.
  sign = (claims, options = {}) =>
    new SignJWT({
      iss: 'https://accounts.google.com',
      aud: AUDIENCE,
      iat: now(),
      exp: now() + 300,
      email: SCHEDULER,
      email_verified: true,
      ...claims,
    })
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: 'k1' })
      .sign(options.key ?? google.privateKey);
});

describe('scheduler OIDC check', () => {
  it('accepts a Google-signed token for our audience from the scheduler account', async () => {
    expect(await auth(`Bearer ${await sign({})}`)).toEqual({ email: SCHEDULER });
  });

  it.each([
    ['no header', async () => undefined],
    ['not a bearer', async () => `Basic ${await sign({})}`],
    ['another audience', async () => `Bearer ${await sign({ aud: 'https://elsewhere.example' })}`],
    ['another issuer', async () => `Bearer ${await sign({ iss: 'https://evil.example' })}`],
    ['an expired token', async () => `Bearer ${await sign({ exp: Math.floor(Date.now() / 1000) - 3600 })}`],
    ['a key Google does not hold', async () => `Bearer ${await sign({}, { key: strangerKey })}`],
    ['garbage', async () => 'Bearer not.a.jwt'],
  ])('refuses %s with Unauthorized', async (_name, header) => {
    await expect(auth(await header())).rejects.toBeInstanceOf(Unauthorized);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const body = Buffer.from(
      JSON.stringify({ email: SCHEDULER, email_verified: true, aud: AUDIENCE }),
    ).toString('base64url');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
    await expect(auth(`Bearer ${none}`)).rejects.toBeInstanceOf(Unauthorized);
  });

  it.each([
    ['another service account', { email: 'someone@other.iam.gserviceaccount.com' }],
    ['an unverified e-mail', { email_verified: false }],
  ])('refuses %s with Forbidden', async (_name, claims) => {
    await expect(auth(`Bearer ${await sign(claims)}`)).rejects.toBeInstanceOf(Forbidden);
  });

  it('fails closed when not configured', async () => {
    const unconfigured = createSchedulerAuth({ audience: null, allowedEmails: [] });
    await expect(unconfigured(`Bearer ${await sign({})}`)).rejects.toThrow(/STRATA_SCHEDULER_AUDIENCE/);
  });
});
