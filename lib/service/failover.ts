/**
 * The failover policy as data: README's table (hot × durable × fallback → what a save does), which the write
 * path executes (write-paths.ts `executeSave`) and test/unit/failover.test.ts checks row by row with a tier
 * switched off. A row is looked up with what the tiers answered so far: every tier starts `up`, a tier that
 * fails a call (TierUnavailable) is `down` from then on, and a hot copy behind the writer's base counts as down
 * (it cannot arbitrate versions it missed).
 */

export type Health = 'up' | 'down';

export interface TierHealth {
  readonly hot: Health;
  readonly durable: Health;
  readonly fallback: Health;
}

/**
 * - `hot`: the hot tier's compare-and-set alone (the plan keeps this save hot-only) → `hot`
 * - `hot-then-durable`: compare-and-set in Redis, then the Postgres commit before the answer → `durable`
 * - `durable-arbitrates`: Redis cannot decide; Postgres' compare-and-set on its head does → `durable`
 * - `hot-then-spool`: Redis took it, Postgres is away: the fallback store keeps the durable copy → `spooled`
 * - `spool-checked`: both away: spooled after a check against the run's newest spooled version → `spooled`
 * - `refuse`: nothing that must hold it can: a retryable 503, and a hot write is reverted
 */
export type SaveRoute =
  | 'hot'
  | 'hot-then-durable'
  | 'durable-arbitrates'
  | 'hot-then-spool'
  | 'spool-checked'
  | 'refuse';

export interface SaveRow extends TierHealth {
  /** A save the tenant's plan makes durable (CRITICAL/FULL on mid, every save on enterprise, …). */
  readonly durableSave: SaveRoute;
  /** A save the plan keeps in the hot tier only (it reaches Postgres later, or never). */
  readonly hotOnlySave: SaveRoute;
}

/** Every combination, once. The README's failover table is this table (test/unit/failover.test.ts). */
export const SAVE_TABLE: readonly SaveRow[] = [
  { hot: 'up', durable: 'up', fallback: 'up', durableSave: 'hot-then-durable', hotOnlySave: 'hot' },
  { hot: 'up', durable: 'up', fallback: 'down', durableSave: 'hot-then-durable', hotOnlySave: 'hot' },
  {
    hot: 'down',
    durable: 'up',
    fallback: 'up',
    durableSave: 'durable-arbitrates',
    hotOnlySave: 'durable-arbitrates',
  },
  {
    hot: 'down',
    durable: 'up',
    fallback: 'down',
    durableSave: 'durable-arbitrates',
    hotOnlySave: 'durable-arbitrates',
  },
  { hot: 'up', durable: 'down', fallback: 'up', durableSave: 'hot-then-spool', hotOnlySave: 'hot' },
  { hot: 'up', durable: 'down', fallback: 'down', durableSave: 'refuse', hotOnlySave: 'hot' },
  {
    hot: 'down',
    durable: 'down',
    fallback: 'up',
    durableSave: 'spool-checked',
    hotOnlySave: 'spool-checked',
  },
  { hot: 'down', durable: 'down', fallback: 'down', durableSave: 'refuse', hotOnlySave: 'refuse' },
];

/** The row of `table` for the tiers' health as observed so far (every table has each combination once). */
function rowOf<Row extends TierHealth>(table: readonly Row[], health: TierHealth): Row {
  const row = table.find(
    (r) => r.hot === health.hot && r.durable === health.durable && r.fallback === health.fallback,
  );
  if (!row) throw new Error(`no failover row for ${JSON.stringify(health)}`);
  return row;
}

/** The route of a save, given the tiers' health as observed so far. */
export function saveRoute(health: TierHealth, durableSave: boolean): SaveRoute {
  const row = rowOf(SAVE_TABLE, health);
  return durableSave ? row.durableSave : row.hotOnlySave;
}

/**
 * - `hot`: the hot head — unless the fallback spool holds a newer version of the run (saves spooled while Redis
 *   and Postgres were both away, which the hot copy never saw): then that copy counts as down and the row for
 *   hot `down` decides
 * - `newest-below`: the newest of Postgres (the archive when Postgres has none) and the spool; promoted back up
 * - `archive-or-refuse`: an archived (completed, so final) run is served from the archive; anything else is a
 *   retryable 503 — only the spool could answer, and it cannot know Postgres' head: Postgres may hold newer
 *   versions committed while Redis alone was away
 */
export type LoadRoute = 'hot' | 'newest-below' | 'archive-or-refuse';

export interface LoadRow extends TierHealth {
  /** A load of the run's latest state. (A given version is read from the first tier that holds it.) */
  readonly head: LoadRoute;
}

export const LOAD_TABLE: readonly LoadRow[] = [
  { hot: 'up', durable: 'up', fallback: 'up', head: 'hot' },
  { hot: 'up', durable: 'up', fallback: 'down', head: 'hot' },
  { hot: 'up', durable: 'down', fallback: 'up', head: 'hot' },
  { hot: 'up', durable: 'down', fallback: 'down', head: 'hot' },
  { hot: 'down', durable: 'up', fallback: 'up', head: 'newest-below' },
  { hot: 'down', durable: 'up', fallback: 'down', head: 'newest-below' },
  { hot: 'down', durable: 'down', fallback: 'up', head: 'archive-or-refuse' },
  { hot: 'down', durable: 'down', fallback: 'down', head: 'archive-or-refuse' },
];

/** The route of a load of the head, given the tiers' health as observed so far. */
export function loadRoute(health: TierHealth): LoadRoute {
  return rowOf(LOAD_TABLE, health).head;
}
