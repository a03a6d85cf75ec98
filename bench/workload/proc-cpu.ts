/**
 * CPU time of another process read from /proc (Linux): for the bridges child, whose script (infra/start-bridges.ts)
 * has no channel to report its own `process.cpuUsage()`. Resolution is one clock tick (10 ms at 100 Hz).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const printed = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticksPerSecond = Number.isFinite(printed) && printed > 0 ? printed : 100;
  }
  return ticksPerSecond;
}

/** User + system CPU of `pid` so far, ms; NaN where /proc is not there (then the figure prints as n/a). */
export function processCpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return Number.NaN;
  }
  // Fields after "(comm)": state is the 3rd field of the line, utime the 14th, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / clockTicks()) * 1000;
}
