/**
 * Upstash REST bridge · commands: turns the JSON command arrays that `@upstash/redis` sends into Redis
 * arguments, and refuses the commands one shared Redis connection cannot serve.
 * Hand-written because no maintained package reproduces the Upstash REST protocol faithfully.
 */

/** A request the bridge refuses before Redis sees it. `message` is the Redis-style error text the client gets. */
export class CommandRejected extends Error {
  override readonly name = 'CommandRejected';
}

/**
 * Commands that change the state of the (shared) connection, need a connection of their own, or would take
 * the shared Redis down. Upstash refuses these over REST as well; transactions have their own route.
 */
const REFUSED = new Map<string, string>([
  ...['MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH'].map(
    (c) => [c, 'use the /multi-exec route for transactions'] as const,
  ),
  ...['SELECT', 'AUTH', 'HELLO', 'RESET', 'QUIT', 'CLIENT', 'MONITOR', 'SYNC', 'PSYNC', 'SHUTDOWN'].map(
    (c) => [c, 'it would change or stop the shared connection'] as const,
  ),
  ...['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE'].map(
    (c) => [c, 'pub/sub needs a streaming connection'] as const,
  ),
  ...[
    'BLPOP',
    'BRPOP',
    'BRPOPLPUSH',
    'BLMOVE',
    'BLMPOP',
    'BZPOPMIN',
    'BZPOPMAX',
    'BZMPOP',
    'WAIT',
    'WAITAOF',
  ].map((c) => [c, 'blocking commands would stall every other request'] as const),
]);

/** One command as Redis arguments. Numbers and booleans arrive unquoted in JSON; Redis wants strings. */
export function parseCommand(value: unknown, position = ''): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new CommandRejected(`ERR ${position}expected a non-empty JSON array of command arguments`);
  }
  return value.map((arg, i) => {
    if (typeof arg === 'string') return arg;
    if (typeof arg === 'number' || typeof arg === 'boolean') return String(arg);
    throw new CommandRejected(`ERR ${position}argument ${i} must be a string or a number, got ${typeof arg}`);
  });
}

/** The body of `/pipeline` and `/multi-exec`: an array of commands. */
export function parseCommandList(value: unknown): string[][] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new CommandRejected('ERR expected a non-empty JSON array of commands');
  }
  return value.map((command, i) => parseCommand(command, `command ${i + 1}: `));
}

/** Throws `CommandRejected` for a command the bridge will not forward. */
export function assertAllowed(args: readonly string[]): void {
  const name = (args[0] ?? '').toUpperCase();
  const reason = REFUSED.get(name);
  if (reason) throw new CommandRejected(`ERR ${name} is not allowed over REST: ${reason}`);
  // XREAD/XREADGROUP only block when asked to.
  if ((name === 'XREAD' || name === 'XREADGROUP') && args.some((a) => a.toUpperCase() === 'BLOCK')) {
    throw new CommandRejected(
      `ERR ${name} BLOCK is not allowed over REST: it would stall every other request`,
    );
  }
}
