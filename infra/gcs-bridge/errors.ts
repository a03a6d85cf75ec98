/** GCS bridge · JSON API errors in Google's shape: `{ error: { code, message, errors: [{ reason, … }] } }`. */

export interface ApiReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON (an object) or media (bytes). */
  readonly body: unknown;
}

export function apiError(status: number, reason: string, message: string, extra: object = {}): ApiReply {
  return {
    status,
    body: { error: { code: status, message, errors: [{ message, domain: 'global', reason, ...extra }] } },
  };
}

export const noSuchObject = (bucket: string, name: string) =>
  apiError(404, 'notFound', `No such object: ${bucket}/${name}`);

export const noSuchBucket = (bucket: string) =>
  apiError(404, 'notFound', `The specified bucket does not exist: ${bucket}`);

/** What Cloud Storage answers when an ifGenerationMatch / ifMetagenerationMatch precondition does not hold. */
export const conditionNotMet = () =>
  apiError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.', {
    locationType: 'header',
    location: 'If-Match',
  });

export const badRequest = (message: string) => apiError(400, 'invalid', message);
