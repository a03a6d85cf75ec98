/**
 * A stand-in for Google's OIDC issuer in the built-artifact test: an RSA key whose JWKS is served on
 * 127.0.0.1 (what STRATA_SCHEDULER_JWKS_URL points at), and ID tokens signed with it as Cloud Scheduler's are.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface OidcIssuer {
  readonly issuer: string;
  readonly jwksUrl: string;
  /** An ID token for `audience` and `email`, signed by this issuer's key (or by `foreignKey`, a key it never published). */
  token(claims: { audience: string; email: string }, options?: { foreignKey?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export async function startOidcIssuer(issuer = 'https://issuer.strata.test'): Promise<OidcIssuer> {
  const [trusted, foreign] = [
    await generateKeyPair('RS256', { extractable: true }),
    await generateKeyPair('RS256', { extractable: true }),
  ];
  const jwks = JSON.stringify({
    keys: [{ ...(await exportJWK(trusted.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }],
  });
  const server = createServer((req, res) => {
    if (req.url !== '/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    issuer,
    jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    async token({ audience, email }, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ email, email_verified: true })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(options.foreignKey ? foreign.privateKey : trusted.privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
