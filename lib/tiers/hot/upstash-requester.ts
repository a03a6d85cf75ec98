/**
 * The Upstash REST protocol's transport for @upstash/redis in Node: its public `Requester` extension point
 * (`new Redis(requester)`), over keep-alive `request` calls instead of the global fetch (why: lib/http/keep-alive-fetch.ts).
 *
 * What it keeps of the client's own HttpClient: a POST of the command as JSON to the URL (plus the request's
 * path), the bearer token, the read-your-writes sync token in and out, and retries of network failures with
 * the same backoff. What it changes: a Redis error (NOSCRIPT, a script's error) comes back as `{ error }`, which
 * the client throws as UpstashError — without the command, whose arguments are state payloads that must not
 * reach a log line. The Web-standard runtimes keep the client's own transport (upstash.ts without `transport`).
 */
import type { Requester } from '@upstash/redis';
import { isTimeout, keepAlivePost } from '../../http/keep-alive-fetch.ts';

type UpstashRequest = Parameters<Requester['request']>[0];
type UpstashResponse<T> = Awaited<ReturnType<Requester['request']>> & { result?: T };

export interface RequesterOptions {
  readonly url: string;
  readonly token: string;
  /** Bound of each HTTP request's wait for its reply; a request that passes it is not retried. */
  readonly timeoutMs: number;
  /** As UpstashHotTierConfig.retry: `false` tries once; the default retries 5 times after exp(n) * 50 ms. */
  readonly retry?: false | { readonly retries: number; readonly backoff?: (retryCount: number) => number };
}

export function keepAliveRequester(options: RequesterOptions): Requester {
  const base = options.url.replace(/\/$/, '');
  const retries = options.retry === false ? 0 : (options.retry?.retries ?? 5);
  const backoff = (options.retry !== false && options.retry?.backoff) || ((n: number) => Math.exp(n) * 50);
  const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' };

  const requester: Requester = {
    readYourWrites: true,
    upstashSyncToken: '',
    async request<TResult>(req: UpstashRequest): Promise<UpstashResponse<TResult>> {
      const url = [base, ...(req.path ?? [])].join('/');
      const sent = {
        ...headers,
        ...req.headers,
        ...(requester.readYourWrites && { 'upstash-sync-token': requester.upstashSyncToken ?? '' }),
      };
      const body = JSON.stringify(req.body);
      for (let attempt = 0; ; attempt++) {
        let reply: Awaited<ReturnType<typeof keepAlivePost>>;
        try {
          reply = await keepAlivePost(url, sent, body, options.timeoutMs);
        } catch (error) {
          // As the client's own transport: a request that timed out is not sent again.
          if (isTimeout(error) || attempt >= retries) throw error;
          await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
          continue;
        }
        if (requester.readYourWrites) requester.upstashSyncToken = reply.header('upstash-sync-token') ?? '';
        let parsed: unknown;
        try {
          parsed = JSON.parse(reply.text);
        } catch {
          throw new Error(`Upstash answered HTTP ${reply.status} with a body that is not JSON`);
        }
        if (reply.status >= 200 && reply.status < 300) return parsed as UpstashResponse<TResult>;
        const error = (parsed as { error?: unknown } | null)?.error;
        if (typeof error === 'string') return { error } as UpstashResponse<TResult>;
        throw new Error(`Upstash answered HTTP ${reply.status}`);
      }
    },
  };
  return requester;
}
