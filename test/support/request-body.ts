/** The whole body of a request a test's own HTTP server received, as text. */
import type { IncomingMessage } from 'node:http';

export async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}
