/**
 * The Worker's logger: pino's browser build (what a `browser`-platform bundle resolves `pino` to), writing one
 * JSON line per record to the console, which workerd forwards to Workers Logs. The Node logger
 * (lib/observability/logger.ts) writes through sonic-boom to a file descriptor, which a Worker does not have.
 * Same record shape: `severity` as Cloud Logging reads it, `message`, the bindings, `err` serialised.
 */
import { type Logger, pino } from 'pino';
import { SEVERITY } from '../observability/severity.ts';

/** A record that JSON cannot hold (a cycle, a bigint) is still logged, as text: logging never throws. */
function line(record: object): string {
  try {
    return JSON.stringify(record);
  } catch {
    return JSON.stringify({ severity: 'WARNING', message: `unserialisable log record: ${String(record)}` });
  }
}

/** An error as the Node logger's serialiser writes it (`type`, `message`, `stack`, own fields such as `tier`). */
function serialiseError(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const fields: Record<string, unknown> = { ...value };
  return {
    type: value.name,
    message: value.message,
    stack: value.stack,
    ...fields,
    ...(value.cause !== undefined && { cause: serialiseError(value.cause) }),
  };
}

export function createWorkerLogger(level: string): Logger {
  const out = (record: object) => console.log(line(record));
  const err = (record: object) => console.error(line(record));
  return pino({
    level,
    messageKey: 'message',
    serializers: { err: serialiseError },
    browser: {
      asObject: true,
      serialize: true,
      formatters: { level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }) },
      write: { trace: out, debug: out, info: out, warn: err, error: err, fatal: err },
    },
  });
}
