/**
 * The one source of every scheduled function's schedule: Cloud Scheduler's cron in terraform/ (through
 * terraform/schedules.auto.tfvars.json, written from this file) and `npm start`'s in-process cadence.
 */

export type ScheduledFunctionName =
  | 'archive-completed'
  | 'retention'
  | 'drain-fallback'
  | 'drain-outbox'
  | 'consistency-check';

export interface Schedule {
  readonly name: ScheduledFunctionName;
  /** Cloud Scheduler's unix-cron expression (UTC). Cloud Scheduler fires at most once a minute. */
  readonly cron: string;
  /** How often `npm start` runs the job in process. */
  readonly everyMs: number;
  readonly description: string;
}

/** Cloud Scheduler's finest cadence: one minute. */
export const CLOUD_SCHEDULER_MIN_MS = 60_000;

export const SCHEDULES: readonly Schedule[] = [
  {
    name: 'archive-completed',
    cron: '* * * * *',
    everyMs: 60_000,
    description:
      'Completed runs into ClickHouse exactly once, then retention of their hot and durable copies.',
  },
  {
    name: 'retention',
    cron: '0 * * * *',
    everyMs: 3_600_000,
    description: 'Closes abandoned runs as failed and drops old checkpoints of long runs.',
  },
  {
    // In process every 30 s; Cloud Scheduler cannot fire more often than once a minute, so in the cloud it runs
    // every minute. Saves also replay spooled versions of their own run on the write path, so the cloud's
    // slower drain delays only runs nobody is writing to.
    name: 'drain-fallback',
    cron: '* * * * *',
    everyMs: 30_000,
    description:
      'Replays spooled writes into Postgres in spool order (every 30 s in process, every minute in the cloud).',
  },
  {
    name: 'drain-outbox',
    cron: '* * * * *',
    everyMs: 60_000,
    description: 'Commits hot heads that the tenant plan keeps durable.',
  },
  {
    name: 'consistency-check',
    cron: '*/10 * * * *',
    everyMs: 600_000,
    description: 'Compares head version and hash across tiers and repairs drift.',
  },
];

/** The schedule of one function; throws on a name that has none, so a typo fails at start, not silently. */
export function scheduleOf(name: ScheduledFunctionName): Schedule {
  const schedule = SCHEDULES.find((s) => s.name === name);
  if (!schedule) throw new Error(`no schedule for ${name}: add it to lib/runtime/schedules.ts`);
  return schedule;
}

/**
 * The period of the cron expressions used here, in ms: `* * * * *`, `*\/N * * * *` and `0 * * * *` (hourly),
 * `0 *\/N * * *`. Anything else answers null: the caller cannot compare it to `everyMs`.
 */
export function cronPeriodMs(cron: string): number | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const [minute, hour, dom, month, dow] = fields;
  if (dom !== '*' || month !== '*' || dow !== '*') return null;
  if (hour === '*') {
    if (minute === '*') return 60_000;
    const step = /^\*\/(\d+)$/.exec(minute ?? '');
    if (step && 60 % Number(step[1]) === 0) return Number(step[1]) * 60_000;
    if (/^\d+$/.test(minute ?? '')) return 3_600_000;
    return null;
  }
  const hourStep = /^\*\/(\d+)$/.exec(hour ?? '');
  if (hourStep && /^\d+$/.test(minute ?? '') && 24 % Number(hourStep[1]) === 0)
    return Number(hourStep[1]) * 3_600_000;
  return null;
}

/** What the cloud actually does: `everyMs`, rounded up to Cloud Scheduler's one-minute floor. */
export function cloudEveryMs(schedule: Schedule): number {
  return Math.max(schedule.everyMs, CLOUD_SCHEDULER_MIN_MS);
}
