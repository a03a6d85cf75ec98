/**
 * Adapts a scheduled job to an HTTP function: Cloud Scheduler POSTs with an OIDC token; the job runs once and
 * its report is the answer. Errors map like every other reply (503 for an unavailable tier, so Cloud
 * Scheduler's retry policy retries).
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from '@google-cloud/functions-framework';
import type { SchedulerAuth } from '../auth/scheduler-oidc.ts';
import type { Logger } from '../observability/logger.ts';
import { errorReply } from './errors.ts';
import { servedWithoutDomain } from './framework-domain.ts';
import { installFrameworkErrorHandler } from './framework-errors.ts';
import { serialiseBody } from './json.ts';
import type { Reply } from './types.ts';

export interface ScheduledContext<Deps> {
  readonly deps: Deps;
  readonly auth: SchedulerAuth;
}

export function scheduledHandler<Deps, Report>(
  name: string,
  job: (deps: Deps) => Promise<Report>,
  createContext: () => Promise<ScheduledContext<Deps>>,
  log: Logger,
) {
  installFrameworkErrorHandler(log);
  let context: Promise<ScheduledContext<Deps>> | undefined;
  return servedWithoutDomain(async (req: Request, res: Response): Promise<void> => {
    let reply: Reply;
    try {
      if (req.method !== 'POST') {
        reply = {
          status: 405,
          headers: { allow: 'POST' },
          body: { error: 'method_not_allowed', message: `${name} is triggered with POST` },
        };
      } else {
        context ??= createContext().catch((error: unknown) => {
          context = undefined;
          throw error;
        });
        const { deps, auth } = await context;
        const caller = await auth(req.get('authorization'));
        const started = performance.now();
        const report = await job(deps);
        const tookMs = Math.round(performance.now() - started);
        log.info({ job: name, caller: caller.email, tookMs, report }, 'scheduled job done');
        reply = { status: 200, body: { job: name, tookMs, report } };
      }
    } catch (error) {
      reply = errorReply(error, log, randomUUID());
    }
    res.status(reply.status);
    for (const [header, value] of Object.entries(reply.headers ?? {})) res.setHeader(header, value);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(serialiseBody(reply.body));
  }, log);
}
