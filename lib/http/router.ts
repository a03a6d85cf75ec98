/** A small method+path router: patterns like "/v1/runs/:runId/state", parameters decoded and handed to handlers. */
import { InvalidRequest } from '../errors.ts';
import type { ApiRequest, Handler, Reply } from './types.ts';

interface Route<Deps> {
  readonly method: string;
  readonly pattern: string;
  readonly matcher: RegExp;
  readonly names: readonly string[];
  readonly handler: Handler<Deps>;
}

export class Router<Deps> {
  readonly #routes: Route<Deps>[] = [];

  on(method: string, pattern: string, handler: Handler<Deps>): this {
    const names: string[] = [];
    const source = pattern.replace(/:(\w+)/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    this.#routes.push({ method, pattern, matcher: new RegExp(`^${source}/?$`), names, handler });
    return this;
  }

  /** The route's reply, or a 404/405 reply when no route fits. */
  async dispatch(request: ApiRequest, deps: Deps): Promise<Reply> {
    let pathMatched = false;
    for (const route of this.#routes) {
      const match = route.matcher.exec(request.path);
      if (!match) continue;
      pathMatched = true;
      // HEAD is GET without the body (Node's server drops the body of an answer to HEAD).
      if (route.method !== request.method && !(request.method === 'HEAD' && route.method === 'GET')) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, index) => {
        params[name] = decodeSegment(match[index + 1] ?? '');
      });
      return route.handler(request, deps, params);
    }
    if (pathMatched) {
      const allowed = this.#routes.filter((r) => r.matcher.test(request.path)).map((r) => r.method);
      if (allowed.includes('GET')) allowed.push('HEAD');
      return {
        status: 405,
        headers: { allow: allowed.join(', ') },
        body: {
          error: 'method_not_allowed',
          message: `${request.method} is not allowed here; use ${allowed.join(' or ')}`,
        },
      };
    }
    return {
      status: 404,
      body: { error: 'route_not_found', message: `no route for ${request.method} ${request.path}` },
    };
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidRequest(`the path segment "${segment}" is not valid percent-encoding`);
  }
}
