/** GCS bridge · the object resource of the JSON API (`storage#object`), and the headers of a media download. */
import type { StoredObject } from './store.ts';

export function objectResource(o: StoredObject, baseUrl: string): Record<string, unknown> {
  const path = `b/${encodeURIComponent(o.bucket)}/o/${encodeURIComponent(o.name)}`;
  const time = o.created.toISOString();
  return {
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${baseUrl}/storage/v1/${path}`,
    mediaLink: `${baseUrl}/download/storage/v1/${path}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: String(o.generation),
    metageneration: String(o.metageneration),
    contentType: o.contentType,
    storageClass: 'STANDARD',
    size: String(o.data.length),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: etagOf(o),
    timeCreated: time,
    updated: time,
    timeStorageClassUpdated: time,
  };
}

/** What Cloud Storage sends with the bytes; the client validates the download against `x-goog-hash`. */
export function mediaHeaders(o: StoredObject): Record<string, string> {
  return {
    'content-type': o.contentType,
    etag: etagOf(o),
    'x-goog-generation': String(o.generation),
    'x-goog-metageneration': String(o.metageneration),
    'x-goog-hash': `crc32c=${o.crc32c},md5=${o.md5Hash}`,
    'x-goog-stored-content-encoding': 'identity',
    'x-goog-stored-content-length': String(o.data.length),
    'x-goog-storage-class': 'STANDARD',
  };
}

const etagOf = (o: StoredObject) => Buffer.from(`${o.generation}/${o.metageneration}`).toString('base64');
