/** errorReply: every code from the catalogue, generic texts for tier failures, and the request id in both the answer and the log. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InvalidRequest, RunCompleted, TierUnavailable, UnsupportedMediaType } from '../../lib/errors.ts';
import { ERROR_CODES } from '../../lib/http/error-codes.ts';
import { errorReply } from '../../lib/http/errors.ts';
import { frameworkErrorReply } from '../../lib/http/framework-errors.ts';
import { createLogger } from '../../lib/observability/logger.ts';

function capture() {
  let text = '';
  const log = createLogger(
    'debug',
    new Writable({
      write(chunk, _e, done) {
        text += String(chunk);
        done();
      },
    }),
  );
  return { log, text: () => text };
}

describe('errorReply', () => {
  it('answers a tier failure with a generic message and the request id; the detail goes to the log only', () => {
    const { log, text } = capture();
    const detail = 'commit failed: invalid byte sequence for encoding "UTF8": 0x00';
    const reply = errorReply(new TierUnavailable('durable', detail), log, 'req-1');
    expect(reply.status).toBe(503);
    const body = reply.body as Record<string, unknown>;
    expect(body).toMatchObject({
      error: 'unavailable',
      tier: 'durable',
      requestId: 'req-1',
      retryable: true,
    });
    expect(JSON.stringify(body)).not.toContain('0x00');
    expect(text()).toContain('req-1');
    expect(text()).toContain('0x00');
  });

  it('answers an unexpected error 500 internal with a generic message; the log line carries the same request id', () => {
    const { log, text } = capture();
    const reply = errorReply(new RangeError('Invalid string length'), log, 'req-2');
    expect(reply.status).toBe(500);
    expect(reply.body).toEqual({
      error: 'internal',
      message: 'an unexpected error occurred; nothing was acknowledged',
      requestId: 'req-2',
    });
    const line = JSON.parse(text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ requestId: 'req-2', severity: 'ERROR' });
  });

  it('answers every error with a code of the catalogue at the status the catalogue gives', () => {
    const { log } = capture();
    const errors = [
      new InvalidRequest('x'),
      new UnsupportedMediaType('x'),
      new RunCompleted('r', null),
      new TierUnavailable('hot', 'x'),
      new Error('x'),
    ];
    for (const error of errors) {
      const reply = errorReply(error, log);
      const code = (reply.body as { error: keyof typeof ERROR_CODES }).error;
      expect(ERROR_CODES[code].status).toBe(reply.status);
    }
    for (const type of [
      'entity.parse.failed',
      'charset.unsupported',
      'encoding.unsupported',
      'entity.too.large',
      'x',
    ]) {
      const { reply } = frameworkErrorReply(
        Object.assign(new Error('raw body here'), { type, status: 400, body: 'raw' }),
      );
      const code = (reply.body as { error: keyof typeof ERROR_CODES }).error;
      expect(ERROR_CODES[code].status).toBe(reply.status);
      expect(JSON.stringify(reply.body)).not.toContain('raw');
    }
  });
});
