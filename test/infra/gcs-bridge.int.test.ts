/**
 * Protocol tests of the GCS JSON-API bridge: the wire format on its own (what Cloud Storage answers, as
 * documented), then the real @google-cloud/storage client against it with no credentials.
 */
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  crc32c,
  crc32cBase64,
  type GcsBridge,
  md5Base64,
  startGcsBridge,
} from '../../infra/gcs-bridge/index.ts';

const BUCKET = 'bridge-test';
let bridge: GcsBridge;
beforeAll(async () => {
  bridge = await startGcsBridge({ buckets: [BUCKET] });
});
afterAll(async () => bridge?.close());

const objectUrl = (name: string, query = '') =>
  `${bridge.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}${query}`;

async function multipart(name: string, body: string | Buffer, query = '', contentType = 'text/plain') {
  const boundary = 'strata-boundary-42';
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Type: application/json\r\n\r\n${JSON.stringify({ name, contentType })}\r\n` +
        `--${boundary}\r\nContent-Type: ${contentType}\r\n\r\n`,
    ),
    Buffer.from(body),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await fetch(`${bridge.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=multipart${query}`, {
    method: 'POST',
    headers: { 'content-type': `multipart/related; boundary=${boundary}` },
    body: payload,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> & { error?: unknown } };
}

describe('gcs bridge · wire format', () => {
  it('computes CRC32C (Castagnoli) and MD5 as Cloud Storage reports them', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32cBase64(Buffer.alloc(0))).toBe('AAAAAA==');
    expect(md5Base64(Buffer.from(''))).toBe('1B2M2Y8AsgTpgAmY7PhCfg==');
  });

  it('creates with ifGenerationMatch=0 once, then answers 412 in Google’s error shape', async () => {
    const first = await multipart('wire/a.txt', 'hello', '&ifGenerationMatch=0');
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      kind: 'storage#object',
      name: 'wire/a.txt',
      bucket: BUCKET,
      size: '5',
      contentType: 'text/plain',
      crc32c: crc32cBase64(Buffer.from('hello')),
      md5Hash: md5Base64(Buffer.from('hello')),
    });
    expect(first.json.generation).toMatch(/^\d+$/);
    const again = await multipart('wire/a.txt', 'other', '&ifGenerationMatch=0');
    expect(again.status).toBe(412);
    expect(again.json).toEqual({
      error: {
        code: 412,
        message: 'At least one of the pre-conditions you specified did not hold.',
        errors: [
          expect.objectContaining({ reason: 'conditionNotMet', domain: 'global', locationType: 'header' }),
        ],
      },
    });
    // A rewrite conditional on the current generation goes through and gets a higher one.
    const rewrite = await multipart('wire/a.txt', 'v2', `&ifGenerationMatch=${first.json.generation}`);
    expect(rewrite.status).toBe(200);
    expect(BigInt(rewrite.json.generation as string)).toBeGreaterThan(
      BigInt(first.json.generation as string),
    );
  });

  it('takes a media upload (uploadType=media) and serves metadata and bytes, at a generation too', async () => {
    const bytes = Buffer.from([0, 255, 13, 10, 45, 45, 1]);
    const up = await fetch(`${bridge.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=wire%2Fbin`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    const meta = (await up.json()) as { generation: string };
    expect(up.status).toBe(200);
    const media = await fetch(objectUrl('wire/bin', `?alt=media&generation=${meta.generation}`));
    expect(media.status).toBe(200);
    expect(Buffer.from(await media.arrayBuffer())).toEqual(bytes);
    expect(media.headers.get('x-goog-hash')).toBe(`crc32c=${crc32cBase64(bytes)},md5=${md5Base64(bytes)}`);
    expect(media.headers.get('x-goog-generation')).toBe(meta.generation);
    expect(media.headers.get('x-goog-stored-content-encoding')).toBe('identity');
    expect(await (await fetch(objectUrl('wire/bin'))).json()).toMatchObject({ name: 'wire/bin', size: '7' });
    const stale = await fetch(objectUrl('wire/bin', '?alt=media&generation=1'));
    expect(stale.status).toBe(404);
  });

  it('lists by prefix in name order, paged with maxResults and pageToken, from a startOffset', async () => {
    for (const name of ['list/c', 'list/a', 'list/b', 'list/d', 'other/x'])
      expect((await multipart(name, name)).status).toBe(200);
    const page = async (query: string) =>
      (await (await fetch(`${bridge.url}/storage/v1/b/${BUCKET}/o?${query}`)).json()) as {
        items?: { name: string }[];
        nextPageToken?: string;
      };
    const first = await page('prefix=list/&maxResults=3');
    expect(first.items?.map((i) => i.name)).toEqual(['list/a', 'list/b', 'list/c']);
    expect(first.nextPageToken).toBeTypeOf('string');
    const second = await page(`prefix=list/&maxResults=3&pageToken=${first.nextPageToken}`);
    expect(second.items?.map((i) => i.name)).toEqual(['list/d']);
    expect(second.nextPageToken).toBeUndefined();
    expect((await page('prefix=list/&startOffset=list/b')).items?.map((i) => i.name)).toEqual([
      'list/b',
      'list/c',
      'list/d',
    ]);
    expect(await page('prefix=nothing/')).toEqual({ kind: 'storage#objects' });
    expect((await page('prefix=list/&maxResults=1&fields=items(name),nextPageToken')).items).toEqual([
      { name: 'list/a' },
    ]);
  });

  it('deletes only the generation named, and answers 404 for what is gone', async () => {
    const { json } = await multipart('wire/del', 'x');
    const wrong = await fetch(objectUrl('wire/del', '?ifGenerationMatch=1'), { method: 'DELETE' });
    expect(wrong.status).toBe(412);
    const right = await fetch(objectUrl('wire/del', `?ifGenerationMatch=${json.generation}`), {
      method: 'DELETE',
    });
    expect(right.status).toBe(204);
    const gone = await fetch(objectUrl('wire/del'), { method: 'DELETE' });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: 404, errors: [{ reason: 'notFound' }] } });
  });

  it('answers 404 for an unknown bucket, 400 for a bad generation, 501 for what it does not implement', async () => {
    expect((await fetch(`${bridge.url}/storage/v1/b/nope/o`)).status).toBe(404);
    expect((await fetch(objectUrl('wire/a.txt', '?generation=abc'))).status).toBe(400);
    const resumable = await fetch(
      `${bridge.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=resumable&name=r`,
      {
        method: 'POST',
      },
    );
    expect(resumable.status).toBe(501);
    expect(await resumable.json()).toMatchObject({ error: { code: 501 } });
    expect((await fetch(objectUrl('wire/a.txt'), { method: 'PATCH', body: '{}' })).status).toBe(501);
  });
});

describe('gcs bridge · @google-cloud/storage without credentials', () => {
  const bucket = () => new Storage({ apiEndpoint: bridge.url, projectId: 'strata-local' }).bucket(BUCKET);

  it('saves, lists, downloads (hash-validated) and deletes with preconditions', async () => {
    const file = bucket().file('client/é 🧪.json');
    const body = JSON.stringify({ text: 'ünïcode 🧪', big: 'x'.repeat(70_000) });
    await file.save(body, { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const generation = Number(file.metadata.generation);
    expect(generation).toBeGreaterThan(0);
    const error = await file
      .save('again', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })
      .catch((e: unknown) => e);
    expect((error as { code?: number }).code).toBe(412);
    const [files] = await bucket().getFiles({ prefix: 'client/' });
    expect(files.map((f) => f.name)).toEqual(['client/é 🧪.json']);
    const [downloaded] = await bucket().file('client/é 🧪.json', { generation }).download();
    expect(downloaded.toString('utf8')).toBe(body);
    await file.delete({ ifGenerationMatch: generation });
    const [after] = await bucket().getFiles({ prefix: 'client/' });
    expect(after).toEqual([]);
    const missing = await file.download().catch((e: unknown) => e);
    expect((missing as { code?: number }).code).toBe(404);
  });

  it('sends no Authorization header to a custom endpoint', async () => {
    const seen: (string | undefined)[] = [];
    const { createServer } = await import('node:http');
    const spy = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"kind":"storage#objects"}');
    });
    await new Promise<void>((resolve) => spy.listen(0, '127.0.0.1', resolve));
    const port = (spy.address() as { port: number }).port;
    try {
      await new Storage({ apiEndpoint: `http://127.0.0.1:${port}`, projectId: 'p' }).bucket('b').getFiles();
    } finally {
      spy.close();
    }
    expect(seen).toEqual([undefined]);
  });
});
