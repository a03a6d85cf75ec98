import type { Authenticator } from '../../lib/auth/api-keys.ts';
import { InvalidRequest } from '../../lib/errors.ts';
import {
  type BodyLimits,
  readBody,
  readIdempotencyKey,
  readIfMatch,
  readQuery,
  readRunId,
} from '../../lib/http/input.ts';
import { type ApiRequest, RawJson, type Reply } from '../../lib/http/types.ts';
import {
  CompleteRequestSchema,
  RestoreRequestSchema,
  StatePersistenceRequestSchema,
} from '../../lib/model/state.ts';
import type { Caller, PersistenceService } from '../../lib/service/index.ts';
import { openApiDocument } from './openapi.ts';
import {
  CheckpointQuerySchema,
  CostQuerySchema,
  ListRunsQuerySchema,
  LoadQuerySchema,
  StatesQuerySchema,
} from './schemas.ts';

const DAY = 86_400_000;

export interface StateApiDeps {
  readonly service: PersistenceService;
  readonly auth: Authenticator;
  readonly limits: BodyLimits;
}

type Params = Readonly<Record<string, string>>;

async function callerOf(request: ApiRequest, deps: StateApiDeps): Promise<Caller> {
  return { tenant: await deps.auth.authenticate(request.header('authorization')) };
}

const etag = (version: number) => ({ etag: `"${version}"` });

export async function putState(request: ApiRequest, deps: StateApiDeps, params: Params): Promise<Reply> {
  const caller = await callerOf(request, deps);
  const runId = readRunId(params);
  const body = readBody(request, StatePersistenceRequestSchema, deps.limits);
  const ifMatch = readIfMatch(request);
  const idempotencyKey = readIdempotencyKey(request);
  const receipt = await deps.service.save(caller, {
    runId,
    request: body,
    ...(ifMatch !== undefined && { ifMatch }),
    ...(idempotencyKey !== undefined && { idempotencyKey }),
  });
  return { status: 200, body: receipt, headers: etag(receipt.version) };
}

export async function getState(request: ApiRequest, deps: StateApiDeps, params: Params): Promise<Reply> {
  const caller = await callerOf(request, deps);
  const runId = readRunId(params);
  const { version } = readQuery(request, LoadQuerySchema);
  const loaded = await deps.service.load(caller, { runId, ...(version !== undefined && { version }) });
  const { stateJson, ...rest } = loaded;
  return { status: 200, body: { ...rest, state: new RawJson(stateJson) }, headers: etag(loaded.version) };
}

export async function getCheckpoints(
  request: ApiRequest,
  deps: StateApiDeps,
  params: Params,
): Promise<Reply> {
  const caller = await callerOf(request, deps);
  const runId = readRunId(params);
  const { limit, before } = readQuery(request, CheckpointQuerySchema);
  const page = await deps.service.listCheckpoints(caller, {
    runId,
    limit,
    ...(before !== undefined && { before }),
  });
  return { status: 200, body: page };
}

/** The states are embedded as stored (canonical JSON), so the page is written as one JSON text. */
export async function getStates(request: ApiRequest, deps: StateApiDeps, params: Params): Promise<Reply> {
  const caller = await callerOf(request, deps);
  const runId = readRunId(params);
  const query = readQuery(request, StatesQuerySchema);
  const page = await deps.service.listStates(caller, {
    runId,
    limit: query.limit,
    ...(query.before !== undefined && { before: query.before }),
    ...(query.from !== undefined && { from: query.from }),
    ...(query.to !== undefined && { to: query.to }),
  });
  const states = page.states.map(
    ({ stateJson, ...meta }) => `${JSON.stringify(meta).slice(0, -1)},"state":${stateJson}}`,
  );
  const text = `{"runId":${JSON.stringify(page.runId)},"states":[${states.join(',')}],"nextBefore":${JSON.stringify(page.nextBefore)}}`;
  return { status: 200, body: new RawJson(text) };
}

export async function postRestore(request: ApiRequest, deps: StateApiDeps, params: Params): Promise<Reply> {
  const caller = await callerOf(request, deps);
  const runId = readRunId(params);
  const body = readBody(request, RestoreRequestSchema, deps.limits);
  const ifMatch = readIfMatch(request);
  const idempotencyKey = readIdempotencyKey(request);
  const receipt = await deps.service.restore(caller, {
    runId,
    request: body,
    ...(ifMatch !== undefined && { ifMatch }),
    ...(idempotencyKey !== undefined && { idempotencyKey }),
  });
  return { status: 200, body: { ...receipt, restoredFrom: body.version }, headers: etag(receipt.version) };
}

export async function postComplete(request: ApiRequest, deps: StateApiDeps, params: Params): Promise<Reply> {
  const caller = await callerOf(request, deps);
  const runId = readRunId(params);
  const body = readBody(request, CompleteRequestSchema, deps.limits);
  const run = await deps.service.complete(caller, { runId, request: body });
  return { status: 200, body: run };
}

export async function listRuns(request: ApiRequest, deps: StateApiDeps): Promise<Reply> {
  const caller = await callerOf(request, deps);
  const query = readQuery(request, ListRunsQuerySchema);
  const page = await deps.service.listRuns(caller, {
    limit: query.limit,
    ...(query.status !== undefined && { status: query.status }),
    ...(query.agent !== undefined && { agentName: query.agent }),
    ...(query.parentRunId !== undefined && { parentRunId: query.parentRunId }),
    ...(query.cursor !== undefined && { cursor: query.cursor }),
  });
  return { status: 200, body: page };
}

export async function deleteRun(request: ApiRequest, deps: StateApiDeps, params: Params): Promise<Reply> {
  const caller = await callerOf(request, deps);
  const runId = readRunId(params);
  await deps.service.delete(caller, { runId });
  return { status: 204 };
}

export async function getHealth(_request: ApiRequest, deps: StateApiDeps): Promise<Reply> {
  const health = await deps.service.health();
  return { status: health.acceptingWrites ? 200 : 503, body: health };
}

export async function getCosts(request: ApiRequest, deps: StateApiDeps): Promise<Reply> {
  const caller = await callerOf(request, deps);
  const query = readQuery(request, CostQuerySchema);
  const to = query.to ?? Date.now();
  const from = query.from ?? to - 30 * DAY;
  if (to - from > 3660 * DAY) throw new InvalidRequest('the range is limited to ten years');
  return { status: 200, body: await deps.service.costs(caller, { from, to, groupBy: query.groupBy }) };
}

let openApi: string | undefined;

export async function getOpenApi(): Promise<Reply> {
  openApi ??= JSON.stringify(openApiDocument());
  return { status: 200, body: new RawJson(openApi) };
}
