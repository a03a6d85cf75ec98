/** The IPC messages between the fuzz runner (support.ts) and its service process (service.ts). */

export interface ServiceReady {
  readonly type: 'ready';
  readonly port: number;
  /** A key of the tenant whose runs are seeded and fuzzed. */
  readonly apiKey: string;
  /** A key of another tenant: it must see nothing of the first one. */
  readonly foreignApiKey: string;
}

export interface ProbeReading {
  /** Longest event-loop delay since the last reset (monitorEventLoopDelay), in ms. */
  readonly maxLagMs: number;
  readonly rssBytes: number;
  /** Peak RSS of the process so far (getrusage). */
  readonly maxRssBytes: number;
  /** Object.prototype gained a property (a `__proto__` path got through). */
  readonly prototypePolluted: boolean;
  readonly gcExposed: boolean;
}

export type ServiceMessage =
  | { readonly type: 'probe-reset'; readonly id: number }
  | { readonly type: 'probe-read'; readonly id: number; readonly gc: boolean }
  | { readonly type: 'stop' };

export type ServiceReply =
  | ServiceReady
  | { readonly type: 'probe-reset'; readonly id: number }
  | { readonly type: 'probe-read'; readonly id: number; readonly reading: ProbeReading };
