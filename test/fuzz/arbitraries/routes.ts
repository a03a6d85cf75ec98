/** Wrong methods on known paths, HEAD on readable ones, and paths no route has. */
import fc from 'fast-check';
import type { FuzzCase } from './case.ts';

const AUTH = [['authorization', 'Bearer $KEY']] as const;

const PATHS: ReadonlyArray<readonly [path: string, allowed: readonly string[]]> = [
  ['/v1/runs/{run}/state', ['GET', 'PUT']],
  ['/v1/runs/{run}/checkpoints', ['GET']],
  ['/v1/runs/{run}/restore', ['POST']],
  ['/v1/runs/{run}/complete', ['POST']],
  ['/v1/runs/{run}', ['DELETE']],
  ['/v1/runs', ['GET']],
  ['/v1/analytics/costs', ['GET']],
];

export const wrongMethodCase: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    fc.constantFrom(...PATHS),
    fc.constantFrom('GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND'),
  )
  .filter(([[, allowed], method]) => !allowed.includes(method))
  .map(([[path], method]) => ({
    why: `${method} where only other methods are allowed`,
    intent: 'bad',
    method,
    path,
    run: 'seed0',
    headers: [...AUTH, ['content-type', 'application/json']],
    body: '{"note":"$MARK"}',
  }));

/** HEAD is GET without a body (RFC 9110): wherever GET answers, HEAD answers the same status. */
export const headCase: fc.Arbitrary<FuzzCase> = fc
  .constantFrom(
    '/v1/runs/{run}/state',
    '/v1/runs/{run}/checkpoints',
    '/v1/runs',
    '/v1/analytics/costs',
    '/v1/runs/{run}/state?version=1',
  )
  .map((path) => {
    const [bare, query] = path.split('?');
    return {
      why: 'HEAD where GET is allowed',
      intent: 'either',
      method: 'HEAD',
      path: bare ?? path,
      ...(query && { query }),
      run: 'seed0',
      headers: AUTH,
    };
  });

export const unknownRouteCase: fc.Arbitrary<FuzzCase> = fc
  .constantFrom(
    '/',
    '/v1',
    '/v1/',
    '/v2/runs',
    '/v1/runs/{run}/state/extra',
    '/v1/runs/{run}/State',
    '/v1//runs',
    '/v1/runs/{run}/state%2F',
    '/../v1/runs',
    '/robots.txt',
    '/favicon.ico',
    '/v1/runs/{run}/checkpoints/1',
  )
  .chain((path) =>
    fc.constantFrom('GET', 'PUT', 'POST').map((method) => ({
      why: `${method} on a path no route has`,
      intent: 'bad' as const,
      method,
      path,
      run: 'seed0' as const,
      headers: [...AUTH, ['content-type', 'application/json']] as const,
      ...(method !== 'GET' && { body: '{"note":"$MARK"}' }),
    })),
  );
