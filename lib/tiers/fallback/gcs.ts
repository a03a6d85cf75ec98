/**
 * The fallback store in a Google Cloud Storage bucket, what a deploy spools to (an instance's own disk is memory).
 * One object per spooled write, named `<prefix><spool id>.json` with the names of the local folder
 * (folder-files.ts), so a listing — lexicographic in Cloud Storage — is spool order. Writes are create-only
 * (`ifGenerationMatch: 0`) and deletes conditional on the generation read, so nothing is overwritten or
 * deleted blindly. Many instances share the bucket: each keeps an index of names that a listing refreshes.
 */
import type { Bucket } from '@google-cloud/storage';
import { TierUnavailable } from '../../errors.ts';
import type { RunKey } from '../types.ts';
import { parseSpoolName, runHash, type SpoolFile } from './folder-files.ts';
import {
  gcsCall,
  isNotFound,
  isPreconditionFailed,
  type ListedObject,
  listPage,
  openBucket,
} from './gcs-client.ts';
import { createGcsDeadLetters } from './gcs-dead-letters.ts';
import { createRunIndex } from './gcs-index.ts';
import type { FallbackStore, SpooledWrite } from './port.ts';
import { checkListPage, checkReason, createSpoolIds, newestFirst } from './spool-order.ts';

export interface GcsFallbackOptions {
  readonly bucket: string;
  /** Object-name prefix of the spool (`STRATA_FALLBACK_PREFIX`). @default "spool/" */
  readonly prefix?: string | undefined;
  /** A local JSON-API endpoint, no credentials (`STRATA_GCS_ENDPOINT`). @default Google's */
  readonly endpoint?: string | undefined;
  /** Per request. @default 5000 */
  readonly timeoutMs?: number | undefined;
  /**
   * How old this instance's index of the bucket may be when `loadLatest` / `loadVersion` answer from it; older,
   * and they list the bucket first (one request while the spool is empty), so a write another instance spooled
   * is seen within this long. @default 1000
   */
  readonly indexMaxAgeMs?: number | undefined;
  /** Clock for ids and the index's age, in epoch ms. @default Date.now */
  readonly now?: (() => number) | undefined;
}

const FORMAT = 'strata-fallback/1';
/** Objects read at once by `list`. */
const READ_BATCH = 32;
/** Fresh ids tried when a create finds its name taken by another body (48 random bits: never, in practice). */
const CREATE_ATTEMPTS = 3;

const sameRun = (a: RunKey, b: RunKey) => a.tenantId === b.tenantId && a.runId === b.runId;

export function createGcsFallback(options: GcsFallbackOptions): FallbackStore {
  const { prefix = 'spool/', indexMaxAgeMs = 1_000, now = Date.now } = options;
  const bucket: Bucket = openBucket(options);
  const where = `gs://${bucket.name}/${prefix}`;
  const index = createRunIndex();
  const dead = createGcsDeadLetters(bucket, prefix, now);
  const objectOf = (id: string) => `${prefix}${id}.json`;
  /** A version claim (claimVersion): an object created only if absent, holding the claiming hash. */
  const claimOf = (hash: string, version: number | '') => `${prefix}claims/${hash}-${version}`;
  const dropClaim = (name: string) =>
    bucket
      .file(name)
      .delete()
      .catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
  const fileOfObject = (name: string): SpoolFile | null =>
    name.startsWith(prefix) ? parseSpoolName(name.slice(prefix.length)) : null;
  let closed = false;
  let scannedAt = Number.NEGATIVE_INFINITY;
  let scanning: Promise<SpoolFile[]> | undefined;
  let nextId: (() => string) | undefined;

  const ensureOpen = () => {
    if (closed) throw new TierUnavailable('fallback', `the fallback store on ${where} was closed`);
  };

  /** Every spool object, oldest first; refreshes the index. Concurrent callers share one listing. */
  function scan(): Promise<SpoolFile[]> {
    scanning ??= (async () => {
      const mark = index.mark();
      const startedAt = now();
      const files: SpoolFile[] = [];
      let pageToken: string | undefined;
      do {
        const page = await listPage(bucket, { prefix, maxResults: 1000, pageToken });
        for (const object of page.objects) {
          const file = fileOfObject(object.name);
          if (!file) continue;
          files.push(file);
          index.remember(file, object.generation);
        }
        pageToken = page.nextPageToken;
      } while (pageToken);
      index.prune(new Set(files.map((f) => f.id)), mark);
      scannedAt = startedAt;
      nextId ??= createSpoolIds(now, files.at(-1)?.id);
      return files;
    })().finally(() => {
      scanning = undefined;
    });
    return scanning;
  }

  /** The write stored as `object` (at its generation), or null once it is gone. */
  async function read(object: ListedObject): Promise<SpooledWrite | null> {
    let body: Buffer;
    try {
      [body] = await bucket.file(object.name, { generation: Number(object.generation) }).download();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    const file = fileOfObject(object.name);
    let parsed: { format?: unknown; write?: SpooledWrite } | undefined;
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    if (parsed?.format !== FORMAT || parsed.write?.id !== file?.id)
      throw new TierUnavailable(
        'fallback',
        `gs://${bucket.name}/${object.name} is not a readable ${FORMAT} spooled write; move it out of ${where} so the drain can continue`,
      );
    return parsed.write ?? null;
  }

  const listedOf = (id: string, runHash: string): ListedObject | null => {
    const entry = index.get({ id, runHash });
    return entry ? { name: objectOf(id), generation: entry.generation } : null;
  };

  /** The index, listed again first when it is older than indexMaxAgeMs (or was never listed). */
  async function fresh(): Promise<void> {
    if (now() - scannedAt >= indexMaxAgeMs) await scan();
  }

  /** The run's writes in the index, newest version first, that pass `accept`; stops at the first `limit`. */
  async function findInRun(key: RunKey, accept: (version: number) => boolean, limit: number) {
    const hash = runHash(key);
    const candidates = index
      .entriesOf(hash)
      .filter((c) => accept(c.version))
      .sort(newestFirst);
    const found: { write: SpooledWrite; object: ListedObject }[] = [];
    for (const { id } of candidates) {
      if (found.length >= limit) break;
      const object = listedOf(id, hash);
      const write = object && (await read(object));
      if (!write || !object) index.forget({ id, runHash: hash });
      else if (sameRun(write.key, key)) found.push({ write, object });
    }
    return found;
  }

  /** Creates the object, or finds that an earlier attempt of this very request did (the answer was lost). */
  async function create(name: string, body: string): Promise<string | null> {
    const file = bucket.file(name);
    try {
      await file.save(body, {
        resumable: false,
        contentType: 'application/json',
        preconditionOpts: { ifGenerationMatch: 0 },
      });
      return String(file.metadata.generation);
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
    const [existing] = await file.download().catch((error: unknown) => {
      if (isNotFound(error)) return [null];
      throw error;
    });
    if (existing?.toString('utf8') !== body) return null;
    return generationOf(name);
  }

  /** The object's live generation, or null when there is none. */
  async function generationOf(name: string): Promise<string | null> {
    try {
      const [metadata] = await bucket.file(name).getMetadata();
      return String(metadata.generation);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Deletes `object` if it is still the generation read; a rewritten object is left alone. */
  async function deleteIfUnchanged(object: ListedObject): Promise<'deleted' | 'gone' | 'changed'> {
    try {
      await bucket.file(object.name).delete({ ifGenerationMatch: Number(object.generation) });
      return 'deleted';
    } catch (error) {
      if (isNotFound(error)) return 'gone';
      if (isPreconditionFailed(error)) return 'changed';
      throw error;
    }
  }

  /**
   * Erasure removes a run's object whatever generation it holds by now: a delete that finds the object
   * rewritten reads the new generation and tries again, a bounded number of times.
   */
  async function eraseObject(object: ListedObject): Promise<void> {
    let current = object;
    for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
      if ((await deleteIfUnchanged(current)) !== 'changed') return;
      const generation = await generationOf(current.name);
      if (generation === null) return;
      current = { name: current.name, generation };
    }
    throw new TierUnavailable('fallback', `removeRun: ${current.name} kept changing while it was deleted`);
  }

  return {
    async spool(write) {
      ensureOpen();
      const { version } = write.record;
      if (!Number.isSafeInteger(version) || version < 0)
        throw new RangeError(`spool: record.version must be a non-negative integer, got ${version}`);
      return gcsCall(bucket, 'spool', async () => {
        if (!nextId) await scan();
        const hash = runHash(write.key);
        for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
          const file: SpoolFile = { id: `${nextId!()}-${hash}-${version}`, runHash: hash, version };
          const spooled: SpooledWrite = { ...write, id: file.id };
          const generation = await create(
            objectOf(file.id),
            JSON.stringify({ format: FORMAT, write: spooled }),
          );
          if (generation === null) continue;
          index.remember(file, generation);
          return spooled;
        }
        throw new TierUnavailable(
          'fallback',
          `spool: ${CREATE_ATTEMPTS} object names in ${where} were taken`,
        );
      });
    },
    async list(page) {
      checkListPage(page);
      ensureOpen();
      return gcsCall(bucket, 'list', async () => {
        const { after } = page;
        const out: SpooledWrite[] = [];
        let pageToken: string | undefined;
        do {
          // startOffset is inclusive and compares names: `<prefix><after>` sorts before every later id's name.
          const listed = await listPage(bucket, {
            prefix,
            maxResults: Math.min(1000, page.limit + 1),
            pageToken,
            ...(after !== undefined && { startOffset: `${prefix}${after}` }),
          });
          const objects = listed.objects.filter((o) => {
            const file = fileOfObject(o.name);
            if (file) index.remember(file, o.generation);
            return file !== null && (after === undefined || file.id > after);
          });
          // Read ahead in batches; an object removed meanwhile (by a drain elsewhere) is skipped.
          for (let i = 0; i < objects.length && out.length < page.limit; i += READ_BATCH) {
            const batch = objects.slice(i, i + Math.min(READ_BATCH, page.limit - out.length));
            for (const write of await Promise.all(batch.map(read))) if (write) out.push(write);
          }
          pageToken = listed.nextPageToken;
        } while (pageToken && out.length < page.limit);
        return out;
      });
    },
    async loadLatest(key) {
      ensureOpen();
      const [found] = await gcsCall(bucket, 'loadLatest', async () => {
        await fresh();
        return findInRun(key, () => true, 1);
      });
      return found?.write.record ?? null;
    },
    async loadVersion(key, version) {
      ensureOpen();
      const [found] = await gcsCall(bucket, 'loadVersion', async () => {
        await fresh();
        return findInRun(key, (v) => v === version, 1);
      });
      return found?.write.record ?? null;
    },
    async claimVersion(key, version, hash) {
      ensureOpen();
      if (!Number.isSafeInteger(version) || version < 0)
        throw new RangeError(`claimVersion: version must be a non-negative integer, got ${version}`);
      // Created only if absent (ifGenerationMatch: 0): of several instances, exactly one creates it.
      return gcsCall(bucket, 'claimVersion', async () =>
        (await create(claimOf(runHash(key), version), hash)) === null ? 'taken' : 'claimed',
      );
    },
    async remove(id) {
      ensureOpen();
      // An id that is not one of ours cannot exist here, and must never become an object name.
      const file = parseSpoolName(`${id}.json`);
      if (!file) return;
      await gcsCall(bucket, 'remove', async () => {
        let object = listedOf(file.id, file.runHash);
        if (!object) {
          // Not seen by this instance: read the generation first, so a rewrite racing us is not deleted.
          const generation = await generationOf(objectOf(file.id));
          object = generation === null ? null : { name: objectOf(file.id), generation };
        }
        if (object) await deleteIfUnchanged(object);
        index.forget(file);
        await dropClaim(claimOf(file.runHash, file.version));
      });
    },
    async removeRun(key) {
      ensureOpen();
      return gcsCall(bucket, 'removeRun', async () => {
        await scan(); // erasure must reach what other instances spooled, too
        const doomed = await findInRun(key, () => true, Number.POSITIVE_INFINITY);
        let removed = 0;
        for (const { write, object } of doomed) {
          await eraseObject(object);
          index.forget({ id: write.id, runHash: runHash(key) });
          removed++;
        }
        const [claims] = await bucket.getFiles({ prefix: claimOf(runHash(key), '') });
        for (const claim of claims) await dropClaim(claim.name);
        return removed + (await dead.removeRun(key));
      });
    },
    async quarantine(id, reason) {
      checkReason(reason);
      ensureOpen();
      const file = parseSpoolName(`${id}.json`);
      if (!file) return false;
      return gcsCall(bucket, 'quarantine', async () => {
        const name = objectOf(file.id);
        const generation = await generationOf(name);
        const write = generation === null ? null : await read({ name, generation });
        if (generation === null || !write) return false;
        await dead.quarantine(name, generation, write, reason);
        index.forget(file);
        return true;
      });
    },
    async deadLetters(page) {
      checkListPage(page);
      ensureOpen();
      return gcsCall(bucket, 'deadLetters', () => dead.list(page));
    },
    async deadLetterCount() {
      ensureOpen();
      return gcsCall(bucket, 'deadLetterCount', () => dead.count());
    },
    async count() {
      ensureOpen();
      return gcsCall(bucket, 'count', async () => (await scan()).length);
    },
    async ping() {
      ensureOpen();
      await gcsCall(bucket, 'ping', () => listPage(bucket, { prefix, maxResults: 1 }));
    },
    async close() {
      closed = true;
    },
  };
}
