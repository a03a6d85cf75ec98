/**
 * One state-api instance in a process of its own, for the chaos flows: the deployed function itself
 * (functions/state-api/index.ts, which opens its tiers from the environment on first use, as a Cloud Functions
 * instance does) served by functions-framework's own server, like its CLI (main.js) serves it — except that it
 * listens on 127.0.0.1 only, on a port the kernel picks, which it reports over the IPC channel.
 * It dies with its parent: nothing here may outlive a test run.
 */
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import '../../../functions/state-api/index.ts';

/** Child → parent, once the server listens. */
export interface InstanceReady {
  readonly type: 'listening';
  readonly port: number;
}

const server = getTestServer('state-api');
// As functions-framework's CLI does: no automatic timeout on incoming connections.
server.setTimeout(0);
// Agents keep their connections for the whole run: the server must not close an idle one while the client is
// sending on it (the default 5 s keep-alive races with agents that pause between steps).
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'listening', port } satisfies InstanceReady);
});
// The parent went away (however it died, the kernel closes the channel): do not outlive it.
process.on('disconnect', () => process.exit(0));
