/**
 * Authentication of scheduled functions: Cloud Scheduler calls them over HTTP with a Google-signed OIDC ID token
 * of its service account (`Authorization: Bearer <jwt>`). We check the signature against Google's keys, the
 * issuer, the audience (the function's URL), expiry, and that the token's e-mail is one we allow.
 * Fails closed: without an audience and allowed e-mails configured, every call is refused.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { Forbidden, Unauthorized } from '../errors.ts';
import { bearerToken } from './api-keys.ts';

const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];
const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';

export interface SchedulerAuthOptions {
  /** The audience Cloud Scheduler puts in the token: the function's URL (`STRATA_SCHEDULER_AUDIENCE`). */
  readonly audience: string | null;
  /** Service-account e-mails allowed to trigger (`STRATA_SCHEDULER_EMAILS`). */
  readonly allowedEmails: readonly string[];
  /** Where the signing keys come from. @default the key set at `jwksUrl`, fetched and cached by jose */
  readonly keys?: JWTVerifyGetKey;
  /** A JWKS URL trusted instead of Google's (`STRATA_SCHEDULER_JWKS_URL`; tests only). @default Google's */
  readonly jwksUrl?: string | null;
  /** An empty list means Google's (`STRATA_SCHEDULER_ISSUERS`). @default Google's issuers */
  readonly issuers?: readonly string[];
  /** Accepted clock difference. @default 30 */
  readonly clockToleranceSeconds?: number;
}

export interface SchedulerCaller {
  readonly email: string;
}

export type SchedulerAuth = (authorization: string | undefined) => Promise<SchedulerCaller>;

export function createSchedulerAuth(options: SchedulerAuthOptions): SchedulerAuth {
  let keys = options.keys;
  return async (authorization) => {
    if (!options.audience || options.allowedEmails.length === 0) {
      throw new Unauthorized(
        'scheduled functions are not configured: set STRATA_SCHEDULER_AUDIENCE and STRATA_SCHEDULER_EMAILS',
      );
    }
    const token = bearerToken(authorization);
    if (!token) throw new Unauthorized('send "Authorization: Bearer <OIDC ID token>" (Cloud Scheduler does)');
    keys ??= createRemoteJWKSet(new URL(options.jwksUrl ?? GOOGLE_JWKS_URL));
    const issuers = options.issuers?.length ? options.issuers : GOOGLE_ISSUERS;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: [...issuers],
        audience: options.audience,
        algorithms: ['RS256'],
        clockTolerance: options.clockToleranceSeconds ?? 30,
        requiredClaims: ['exp', 'iat', 'email'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError)
        throw new Unauthorized(`the ID token was refused: ${error.code}`);
      throw error;
    }
    const email = payload.email;
    if (typeof email !== 'string' || payload.email_verified !== true) {
      throw new Forbidden('the ID token carries no verified e-mail');
    }
    if (!options.allowedEmails.includes(email))
      throw new Forbidden(`${email} may not trigger scheduled functions`);
    return { email };
  };
}
