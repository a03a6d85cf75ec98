/**
 * Persistence of the in-process hot tier: the map as one JSON file, written atomically (temp file, fsync,
 * rename) so a crash leaves the old snapshot or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SaveReceipt, StoredVersion } from '../types.ts';
import type { OutboxEntry } from './port.ts';

/** A value and the epoch ms at which it expires (absolute, so it survives a restart). */
export interface Expiring<T> {
  readonly value: T;
  readonly expiresAt: number;
}

export interface StoredReceipt {
  readonly fingerprint: string;
  readonly receipt: SaveReceipt;
}

/** A run's hot versions: a whole state, then the patches on it up to the head (the last). */
export type HotChain = readonly StoredVersion[];

export interface RunEntry {
  head: Expiring<HotChain> | undefined;
  prev: Expiring<HotChain> | undefined;
  /** Epoch ms until which the run is sealed (completed), if it is. */
  sealedUntil?: number | undefined;
  readonly receipts: Map<string, Expiring<StoredReceipt>>;
}

/** What a snapshot holds: the runs, and the outbox (never expires), both keyed by the run's id. */
export interface HotState {
  readonly runs: Map<string, RunEntry>;
  readonly outbox: Map<string, OutboxEntry>;
}

interface SnapshotRun {
  readonly id: string;
  /** A chain; a snapshot written before chains holds the head's one whole record (read as a chain of one). */
  readonly head: Expiring<HotChain | StoredVersion> | null;
  readonly prev: Expiring<HotChain | StoredVersion> | null;
  readonly receipts: [string, Expiring<StoredReceipt>][];
  readonly sealedUntil?: number;
}

// `outbox` was added to format 1 without a new format name: a snapshot without it has an empty outbox.
const FORMAT = 'strata-hot-memory/1';

export async function writeSnapshot(path: string, { runs, outbox }: HotState): Promise<void> {
  const body = JSON.stringify({
    format: FORMAT,
    outbox: [...outbox],
    runs: [...runs].map(
      ([id, run]): SnapshotRun => ({
        id,
        head: run.head ?? null,
        prev: run.prev ?? null,
        receipts: [...run.receipts],
        ...(run.sealedUntil !== undefined && { sealedUntil: run.sealedUntil }),
      }),
    ),
  });
  // Agent state at rest: readable by this user only.
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const file = await open(temp, 'w', 0o600);
    try {
      await file.writeFile(body, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/** The state of a snapshot; an absent file is an empty tier. Expired entries are dropped by the caller. */
export async function readSnapshot(path: string): Promise<HotState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { runs: new Map(), outbox: new Map() };
    throw e;
  }
  let parsed: { format?: unknown; runs?: SnapshotRun[]; outbox?: [string, OutboxEntry][] };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (e) {
    throw new Error(`${path} is not valid JSON; delete it to start with an empty hot tier`, { cause: e });
  }
  const outbox = parsed.outbox ?? [];
  if (parsed.format !== FORMAT || !Array.isArray(parsed.runs) || !Array.isArray(outbox)) {
    throw new Error(`${path} is not a ${FORMAT} snapshot; delete it to start with an empty hot tier`);
  }
  return {
    runs: new Map(
      parsed.runs.map((r) => [
        r.id,
        {
          head: asChain(r.head),
          prev: asChain(r.prev),
          receipts: new Map(r.receipts),
          sealedUntil: r.sealedUntil,
        },
      ]),
    ),
    outbox: new Map(outbox),
  };
}

function asChain(entry: Expiring<HotChain | StoredVersion> | null): Expiring<HotChain> | undefined {
  if (!entry) return undefined;
  const { value, expiresAt } = entry;
  return { value: Array.isArray(value) ? value : [value as StoredVersion], expiresAt };
}
