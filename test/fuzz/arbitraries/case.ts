/**
 * What a generated request is: plain data (so fast-check prints a shrunk counterexample as it was sent) with
 * placeholders that the runner fills in at send time — the run, the head version, the API keys, the marker.
 */

/**
 * What the request is, as far as its author knows. `bad`: the API must refuse it (a 2xx is a defect);
 * `valid`: it may succeed; `either`: well-formed-ish input whose fate the API may decide (e.g. NUL in `data`).
 */
export type Intent = 'bad' | 'valid' | 'either';

/**
 * The run a request addresses. `seed0`/`seed1` are seeded running runs (seed1 a child of seed0), `done` a
 * completed one, `scratch` a run created just for this request, `fresh` an id never used; `{ raw }` is a path
 * segment sent byte for byte.
 */
export type RunTarget = 'seed0' | 'seed1' | 'done' | 'scratch' | 'fresh' | { readonly raw: string };

export interface FuzzCase {
  /** Which generator made it and what is wrong with it, for people reading a counterexample. */
  readonly why: string;
  readonly intent: Intent;
  readonly method: string;
  /** Path with `{run}` standing for the run's (escaped) id. */
  readonly path: string;
  readonly run?: RunTarget;
  /** Query string without `?`, sent as is; `$HEAD` is the run's head version. */
  readonly query?: string;
  /**
   * Header lines in order, duplicates allowed. `$KEY` / `$FOREIGN` are the tenants' API keys, `$HEAD` / `$NEXT`
   * the run's head version and the one after it.
   */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Body text. `"$HEAD"` / `"$NEXT"` (quoted) become numbers, `$MARK` the request's unique marker. */
  readonly body?: string;
  /** How the body text becomes bytes. @default 'utf8' */
  readonly encoding?: 'utf8' | 'latin1' | 'gzip' | 'utf16le';
}

/** The marker placeholder: every body carries it, and it must never reach the log. */
export const MARK = '$MARK';

const rank: Record<Intent, number> = { valid: 0, either: 1, bad: 2 };

/** The intent of a request with several parts: one bad part makes it bad. */
export function worst(...intents: Intent[]): Intent {
  return intents.reduce((a, b) => (rank[b] > rank[a] ? b : a), 'valid' as Intent);
}

export const json = (value: unknown): string => JSON.stringify(value);
