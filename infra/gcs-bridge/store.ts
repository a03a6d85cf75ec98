/**
 * GCS bridge · the buckets, in memory. The bridge stands in for a remote service whose own durability is not
 * what a test checks; memory keeps each bridge (and so each test) isolated, fast and leaves nothing behind.
 * Generations come from one counter per bridge, as Cloud Storage's (microsecond timestamps) only grow.
 */
import { crc32cBase64, md5Base64 } from './hashes.ts';

export interface StoredObject {
  readonly bucket: string;
  readonly name: string;
  readonly generation: bigint;
  readonly metageneration: bigint;
  readonly contentType: string;
  readonly data: Buffer;
  readonly crc32c: string;
  readonly md5Hash: string;
  readonly created: Date;
}

/** The preconditions of the JSON API, as query parameters (`ifGenerationMatch=0`: the object must not exist). */
export interface Preconditions {
  readonly ifGenerationMatch?: bigint | undefined;
  readonly ifGenerationNotMatch?: bigint | undefined;
  readonly ifMetagenerationMatch?: bigint | undefined;
  readonly ifMetagenerationNotMatch?: bigint | undefined;
}

export type Outcome<T> = T | 'no-bucket' | 'not-found' | 'precondition-failed';

export class BucketStore {
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private lastGeneration = BigInt(Date.now()) * 1000n;

  createBucket(name: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, new Map());
  }

  /** Every live object whose name starts with `prefix`, in name order (byte order, as Cloud Storage lists). */
  list(bucket: string, prefix: string): StoredObject[] | 'no-bucket' {
    const objects = this.buckets.get(bucket);
    if (!objects) return 'no-bucket';
    return [...objects.values()]
      .filter((o) => o.name.startsWith(prefix))
      .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  }

  /** The live object, or the given generation of it (only the live one exists: no versioning). */
  get(bucket: string, name: string, generation?: bigint, pre: Preconditions = {}): Outcome<StoredObject> {
    const objects = this.buckets.get(bucket);
    if (!objects) return 'no-bucket';
    const object = objects.get(name);
    if (!object || (generation !== undefined && object.generation !== generation)) return 'not-found';
    return holds(object, pre) ? object : 'precondition-failed';
  }

  /** Writes a new generation, atomically with the precondition check (one synchronous step). */
  insert(
    bucket: string,
    name: string,
    data: Buffer,
    contentType: string,
    pre: Preconditions = {},
  ): Outcome<StoredObject> {
    const objects = this.buckets.get(bucket);
    if (!objects) return 'no-bucket';
    if (!holds(objects.get(name), pre)) return 'precondition-failed';
    this.lastGeneration = bigMax(this.lastGeneration + 1n, BigInt(Date.now()) * 1000n);
    const object: StoredObject = {
      bucket,
      name,
      generation: this.lastGeneration,
      metageneration: 1n,
      contentType,
      data,
      crc32c: crc32cBase64(data),
      md5Hash: md5Base64(data),
      created: new Date(),
    };
    objects.set(name, object);
    return object;
  }

  delete(bucket: string, name: string, generation?: bigint, pre: Preconditions = {}): Outcome<true> {
    const found = this.get(bucket, name, generation, pre);
    if (typeof found === 'string') return found;
    this.buckets.get(bucket)?.delete(name);
    return true;
  }
}

const bigMax = (a: bigint, b: bigint) => (a > b ? a : b);

/** Whether `object` (undefined: it does not exist, generation 0) meets every precondition given. */
function holds(object: StoredObject | undefined, pre: Preconditions): boolean {
  const generation = object?.generation ?? 0n;
  if (pre.ifGenerationMatch !== undefined && generation !== pre.ifGenerationMatch) return false;
  if (pre.ifGenerationNotMatch !== undefined && generation === pre.ifGenerationNotMatch) return false;
  if (pre.ifMetagenerationMatch !== undefined && object?.metageneration !== pre.ifMetagenerationMatch)
    return false;
  if (pre.ifMetagenerationNotMatch !== undefined && object?.metageneration === pre.ifMetagenerationNotMatch)
    return false;
  return true;
}
