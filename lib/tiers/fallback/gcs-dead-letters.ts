/**
 * The dead letters of the Cloud Storage fallback: spooled writes a tier refused, kept beside the spool under
 * `<prefix minus its slash>-dead-letters/<spool id>.json` (outside the spool's listing), never replayed.
 *
 * Cloud Storage has no rename: `quarantine` creates the dead letter (create-only, named by the spool id, so
 * a retry after a crash finds it and simply finishes) and then deletes the spool object at the generation it
 * read. A crash between the two steps leaves both; the next drain meets the spool object again, is refused
 * again, and its quarantine finds the dead letter made and deletes the spool object.
 */
import type { Bucket } from '@google-cloud/storage';
import type { RunKey } from '../types.ts';
import { parseSpoolName, runHash } from './folder-files.ts';
import { isNotFound, isPreconditionFailed, listPage } from './gcs-client.ts';
import type { DeadLetter, ListPage, SpooledWrite } from './port.ts';
import { checkReason } from './spool-order.ts';

const FORMAT = 'strata-dead-letter/1';

export interface GcsDeadLetters {
  /** The spool write `spooledWrite` (read at `generation` from `spoolObject`) becomes a dead letter. */
  quarantine(
    spoolObject: string,
    generation: string,
    spooledWrite: SpooledWrite,
    reason: string,
  ): Promise<void>;
  list(page: ListPage): Promise<DeadLetter[]>;
  count(): Promise<number>;
  /** Removes the run's dead letters; resolves to how many. */
  removeRun(key: RunKey): Promise<number>;
}

export function createGcsDeadLetters(bucket: Bucket, spoolPrefix: string, now: () => number): GcsDeadLetters {
  const prefix = `${spoolPrefix.replace(/\/$/, '')}-dead-letters/`;
  const nameOf = (id: string) => `${prefix}${id}.json`;
  const idOf = (name: string) => (name.startsWith(prefix) ? parseSpoolName(name.slice(prefix.length)) : null);

  async function read(name: string): Promise<DeadLetter | null> {
    try {
      const [body] = await bucket.file(name).download();
      const parsed = JSON.parse(body.toString('utf8')) as { format?: unknown } & DeadLetter;
      return parsed.format === FORMAT
        ? { write: parsed.write, reason: parsed.reason, quarantinedAt: parsed.quarantinedAt }
        : null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async function* names(after?: string): AsyncGenerator<string> {
    let pageToken: string | undefined;
    do {
      const page = await listPage(bucket, {
        prefix,
        maxResults: 1000,
        pageToken,
        ...(after !== undefined && { startOffset: nameOf(after) }),
      });
      for (const object of page.objects) {
        const file = idOf(object.name);
        if (file && (after === undefined || file.id > after)) yield object.name;
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  return {
    async quarantine(spoolObject, generation, write, reason) {
      checkReason(reason);
      const file = bucket.file(nameOf(write.id));
      try {
        const letter = { format: FORMAT, write, reason, quarantinedAt: now() };
        await file.save(JSON.stringify(letter), {
          resumable: false,
          contentType: 'application/json',
          preconditionOpts: { ifGenerationMatch: 0 },
        });
      } catch (error) {
        // Already a dead letter: an earlier attempt got this far before it was interrupted.
        if (!isPreconditionFailed(error)) throw error;
      }
      try {
        await bucket.file(spoolObject).delete({ ifGenerationMatch: Number(generation) });
      } catch (error) {
        if (!isNotFound(error) && !isPreconditionFailed(error)) throw error;
      }
    },
    async list(page) {
      const out: DeadLetter[] = [];
      for await (const name of names(page.after)) {
        const letter = await read(name);
        if (letter) out.push(letter);
        if (out.length >= page.limit) break;
      }
      return out;
    },
    async count() {
      let n = 0;
      for await (const _ of names()) n++;
      return n;
    },
    async removeRun(key) {
      const hash = runHash(key);
      let removed = 0;
      for await (const name of names()) {
        if (idOf(name)?.runHash !== hash) continue;
        const letter = await read(name);
        if (!letter || letter.write.key.tenantId !== key.tenantId || letter.write.key.runId !== key.runId)
          continue;
        try {
          await bucket.file(name).delete();
          removed++;
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
      return removed;
    },
  };
}
