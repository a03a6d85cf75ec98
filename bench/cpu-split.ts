/**
 * Where the CPU of a measured section went, read from /proc (Linux): this process's main thread (JavaScript), its
 * other threads (chDB runs there, and libuv's pool), its child processes (the bridges: the Neon proxy stands for
 * Neon's own servers; the workload's function process) and the machine's Postgres and Redis processes. On a machine of two cores a section that burns near
 * 2 × its wall time of CPU is bound by CPU, and overlapping its phases cannot make it faster.
 * Where /proc is missing, every figure is null.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSplit {
  readonly mainMs: number;
  readonly threadsMs: number;
  readonly childrenMs: number;
  readonly postgresMs: number;
  readonly redisMs: number;
}

interface Snapshot {
  readonly mainMs: number;
  readonly threadsMs: number;
  /** CPU so far of each other process of interest, by pid: a process that ended or began meanwhile is not a delta. */
  readonly children: ReadonlyMap<number, number>;
  readonly postgres: ReadonlyMap<number, number>;
  readonly redis: ReadonlyMap<number, number>;
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux everywhere in practice). */
const TICK_MS = 10;

export function cpuSnapshot(): Snapshot | null {
  try {
    const self = process.pid;
    let mainMs = 0;
    let threadsMs = 0;
    for (const tid of readdirSync(`/proc/${self}/task`)) {
      const ms = ticksOf(`/proc/${self}/task/${tid}/stat`);
      if (Number(tid) === self) mainMs += ms;
      else threadsMs += ms;
    }
    const children = new Map<number, number>();
    const postgres = new Map<number, number>();
    const redis = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry);
      if (!/^\d+$/.test(entry) || pid === self) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      const { comm, ppid, ms } = parseStat(stat);
      if (ppid === self) children.set(pid, ms);
      else if (comm === 'postgres') postgres.set(pid, ms);
      else if (comm === 'redis-server') redis.set(pid, ms);
    }
    return { mainMs, threadsMs, children, postgres, redis };
  } catch {
    return null;
  }
}

export function cpuSince(before: Snapshot | null): CpuSplit | null {
  const after = cpuSnapshot();
  if (!before || !after) return null;
  return {
    mainMs: after.mainMs - before.mainMs,
    threadsMs: after.threadsMs - before.threadsMs,
    childrenMs: grown(before.children, after.children),
    postgresMs: grown(before.postgres, after.postgres),
    redisMs: grown(before.redis, after.redis),
  };
}

/** CPU added by the processes seen both times, plus all of those that began meanwhile. */
function grown(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let ms = 0;
  for (const [pid, now] of after) ms += now - (before.get(pid) ?? 0);
  return ms;
}

export const formatCpu = (cpu: CpuSplit | null) =>
  cpu
    ? `cpu: main ${cpu.mainMs}, threads ${cpu.threadsMs}, bridges ${cpu.childrenMs}, postgres ${cpu.postgresMs} ms`
    : 'cpu: n/a';

function ticksOf(path: string): number {
  return parseStat(readFileSync(path, 'utf8')).ms;
}

/** `pid (comm) state ppid … utime stime …`: comm may hold spaces and parentheses, so split after its last ')'. */
function parseStat(stat: string): { comm: string; ppid: number; ms: number } {
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is state (field 3); utime and stime are fields 14 and 15.
  return { comm, ppid: Number(fields[1]), ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
}
