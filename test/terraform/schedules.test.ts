/** lib/runtime/schedules.ts: the cadences `npm start` keeps, and how each maps onto Cloud Scheduler's minute. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloudEveryMs, cronPeriodMs, SCHEDULES, scheduleOf } from '../../lib/runtime/schedules.ts';

describe('schedules', () => {
  it('keep the in-process cadences', () => {
    expect(Object.fromEntries(SCHEDULES.map((s) => [s.name, s.everyMs]))).toEqual({
      'archive-completed': 60_000,
      retention: 3_600_000,
      'drain-fallback': 30_000,
      'drain-outbox': 60_000,
      'consistency-check': 600_000,
    });
  });

  it('name exactly the scheduled functions in functions/', async () => {
    const dirs = await readdir(join(import.meta.dirname, '../../functions'), { withFileTypes: true });
    // functions/worker is the workerd module Worker (its crons are its own), not a Cloud Function.
    const notScheduled = new Set(['state-api', 'worker']);
    const scheduled = dirs.filter((d) => d.isDirectory() && !notScheduled.has(d.name)).map((d) => d.name);
    expect(SCHEDULES.map((s) => s.name).sort()).toEqual(scheduled.sort());
  });

  it('fire in the cloud as often as Cloud Scheduler can: 30 s becomes its one-minute floor', () => {
    for (const s of SCHEDULES) expect(cronPeriodMs(s.cron), s.name).toBe(cloudEveryMs(s));
    expect(cloudEveryMs(scheduleOf('drain-fallback'))).toBe(60_000);
  });

  it('read the periods of the cron forms they use, and refuse the rest', () => {
    expect(cronPeriodMs('* * * * *')).toBe(60_000);
    expect(cronPeriodMs('*/10 * * * *')).toBe(600_000);
    expect(cronPeriodMs('0 * * * *')).toBe(3_600_000);
    expect(cronPeriodMs('0 */6 * * *')).toBe(6 * 3_600_000);
    expect(cronPeriodMs('*/7 * * * *')).toBeNull();
    expect(cronPeriodMs('0 0 * * 1')).toBeNull();
    expect(cronPeriodMs('* * * *')).toBeNull();
  });
});
