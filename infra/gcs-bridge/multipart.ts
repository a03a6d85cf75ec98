/**
 * GCS bridge · the body of a multipart upload (`uploadType=multipart`, RFC 2387 multipart/related): the first
 * part is the object's JSON metadata, the second its bytes. Parsed as bytes, since the media may be binary.
 */

export interface MultipartUpload {
  readonly metadata: Record<string, unknown>;
  readonly media: Buffer;
  readonly mediaType: string | undefined;
}

export function boundaryOf(contentType: string | undefined): string | null {
  const match = /^multipart\/related;.*\bboundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return match ? (match[1] ?? match[2] ?? null) : null;
}

/** The metadata and media parts, or an error message for a body that is not two such parts. */
export function parseMultipart(body: Buffer, boundary: string): MultipartUpload | string {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break; // the closing delimiter
    const next = body.indexOf(delimiter, start);
    if (next < 0) return 'multipart body has no closing delimiter';
    parts.push(body.subarray(start, next));
    at = next;
  }
  if (parts.length !== 2) return `multipart upload needs 2 parts (metadata, media), got ${parts.length}`;
  const [meta, media] = parts.map(splitPart);
  if (!meta || !media) return 'a multipart part has no blank line after its headers';
  let metadata: unknown;
  try {
    metadata = JSON.parse(meta.content.toString('utf8'));
  } catch {
    return 'the first multipart part is not JSON metadata';
  }
  if (typeof metadata !== 'object' || metadata === null) return 'the object metadata must be a JSON object';
  return { metadata: metadata as Record<string, unknown>, media: media.content, mediaType: media.type };
}

/** One part: CRLF, headers, CRLF CRLF, content, CRLF (before the next delimiter). */
function splitPart(part: Buffer): { content: Buffer; type: string | undefined } | null {
  const headerEnd = part.indexOf('\r\n\r\n');
  if (headerEnd < 0) return null;
  const headers = part.subarray(0, headerEnd).toString('utf8');
  let content = part.subarray(headerEnd + 4);
  if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
  const type = /^content-type:\s*(.+)$/im.exec(headers)?.[1]?.trim();
  return { content, type };
}
