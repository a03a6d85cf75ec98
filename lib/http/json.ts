/** Serialising replies; RawJson members are spliced in so a stored state is never parsed just to be re-sent. */
import { RawJson } from './types.ts';

export function serialiseBody(body: unknown): string {
  if (body instanceof RawJson) return body.text;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return JSON.stringify(body);
  const entries = Object.entries(body as Record<string, unknown>);
  if (!entries.some(([, value]) => value instanceof RawJson)) return JSON.stringify(body);
  const parts = entries
    .filter(([, value]) => value !== undefined)
    .map(
      ([key, value]) =>
        `${JSON.stringify(key)}:${value instanceof RawJson ? value.text : JSON.stringify(value)}`,
    );
  return `{${parts.join(',')}}`;
}
