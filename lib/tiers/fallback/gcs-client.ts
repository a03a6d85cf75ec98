/**
 * The Cloud Storage client of the GCS fallback store: opened for Google (credentials from the environment) or,
 * locally, for a JSON-API endpoint such as infra/gcs-bridge without credentials; and the few answers of the API
 * the store acts on (412 precondition failed, 404), as data.
 */
import { type Bucket, Storage } from '@google-cloud/storage';
import { TierUnavailable } from '../../errors.ts';

export interface GcsClientOptions {
  readonly bucket: string;
  /** A JSON-API endpoint used instead of Google's, without credentials (`STRATA_GCS_ENDPOINT`; local only). */
  readonly endpoint?: string | undefined;
  /** Per HTTP request, and the budget of the client's own retries. @default 5000 */
  readonly timeoutMs?: number | undefined;
}

/** The project id the client is given for a local endpoint, so it never asks the metadata server for one. */
const LOCAL_PROJECT = 'strata-local';

export function openBucket(options: GcsClientOptions): Bucket {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const storage = new Storage({
    // With an apiEndpoint of its own the client sends no Authorization header and never loads credentials
    // (useAuthWithCustomEndpoint stays false); a projectId keeps it from looking one up.
    ...(options.endpoint && { apiEndpoint: options.endpoint, projectId: LOCAL_PROJECT }),
    timeout: timeoutMs,
    // A spool sits on the save path: a few quick retries of what is safe to retry (every write here carries
    // a generation precondition), never the client's default of 10 minutes.
    retryOptions: {
      autoRetry: true,
      maxRetries: 2,
      maxRetryDelay: 1,
      totalTimeout: Math.max(1, Math.ceil((timeoutMs * 3) / 1000)),
    },
  });
  return storage.bucket(options.bucket);
}

/** The HTTP status of a JSON-API error (ApiError.code), or undefined for anything else. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isPreconditionFailed = (error: unknown) => statusOf(error) === 412;
export const isNotFound = (error: unknown) => statusOf(error) === 404;

/** Whatever the client throws becomes TierUnavailable; our own answers pass through. */
export async function gcsCall<T>(bucket: Bucket, operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof TierUnavailable || error instanceof RangeError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TierUnavailable('fallback', `${operation} on gs://${bucket.name} failed: ${reason}`, {
      cause: error,
    });
  }
}

export interface ListedObject {
  readonly name: string;
  /** Decimal string, as the JSON API sends it. */
  readonly generation: string;
}

/** One page of object names under `prefix`, from `startOffset` (inclusive) on. */
export async function listPage(
  bucket: Bucket,
  query: {
    prefix: string;
    startOffset?: string | undefined;
    maxResults: number;
    pageToken?: string | undefined;
  },
): Promise<{ objects: ListedObject[]; nextPageToken: string | undefined }> {
  const [files, next] = await bucket.getFiles({
    prefix: query.prefix,
    maxResults: query.maxResults,
    autoPaginate: false,
    fields: 'items(name,generation),nextPageToken',
    ...(query.startOffset !== undefined && { startOffset: query.startOffset }),
    ...(query.pageToken !== undefined && { pageToken: query.pageToken }),
  });
  // With `fields` the client hands back the partial resources as they came, not File objects.
  const objects = (files as unknown as { name: string; generation: string | number }[]).map((item) => ({
    name: item.name,
    generation: String(item.generation),
  }));
  const token = (next as { pageToken?: unknown } | null | undefined)?.pageToken;
  return { objects, nextPageToken: typeof token === 'string' ? token : undefined };
}
