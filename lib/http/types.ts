/** The HTTP boundary in runtime-neutral terms: handlers see an ApiRequest and return a Reply, never req/res. */

export interface ApiRequest {
  /** Unique per request; error answers carry it and so does every log line about the request. */
  readonly requestId: string;
  readonly method: string;
  /** Path without the query string, e.g. "/v1/runs/r1/state". */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Header lookup, case-insensitive. */
  header(name: string): string | undefined;
  /** The body exactly as received (undefined when there was none). */
  readonly rawBody: Uint8Array | undefined;
}

/** A JSON text that is already serialised (a stored state), embedded into a reply without parsing it again. */
export class RawJson {
  constructor(readonly text: string) {}
}

export interface Reply {
  readonly status: number;
  /** Serialised as JSON; RawJson values (at the top level of an object) are embedded verbatim. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler<Deps> = (
  request: ApiRequest,
  deps: Deps,
  params: Readonly<Record<string, string>>,
) => Promise<Reply>;
