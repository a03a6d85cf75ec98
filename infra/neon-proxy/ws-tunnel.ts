/** WebSocket mode of the Neon driver: `/v1?address=host:port` becomes a raw TCP connection to that Postgres. */
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { type AllowList, splitTarget } from './targets.ts';
import { TerminateWatch } from './terminate-watch.ts';

export interface Tunnels {
  /** For the HTTP server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Number of open WebSocket↔TCP pairs (tests check that Terminate closes them). */
  readonly openCount: number;
  /** Drops every open pair. */
  closeAll(): void;
}

export function createTunnels(allowed: AllowList): Tunnels {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const open = new Set<() => void>();

  const refuse = (socket: Duplex, status: string) => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://proxy');
      const address = url.searchParams.get('address') ?? '';
      const target = splitTarget(address);
      if (url.pathname !== '/v1') return refuse(socket, '404 Not Found');
      if (!target || !allowed.has(address)) return refuse(socket, '403 Forbidden');
      wss.handleUpgrade(req, socket, head, (ws) => pipe(ws, target, open));
    },
    get openCount() {
      return open.size;
    },
    closeAll() {
      for (const shut of [...open]) shut();
      wss.close();
    },
  };
}

function pipe(ws: WebSocket, target: { host: string; port: number }, open: Set<() => void>): void {
  const tcp = connect(target);
  tcp.setNoDelay(true);
  const watch = new TerminateWatch();
  let closed = false;
  const shut = () => {
    if (closed) return;
    closed = true;
    open.delete(shut);
    tcp.destroy();
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
  };
  open.add(shut);

  ws.on('message', (data) => {
    const chunk = toBuffer(data);
    const terminate = watch.feed(chunk);
    // Writes before 'connect' are queued by net.Socket; pause the WebSocket while TCP is backed up.
    if (!tcp.write(chunk)) ws.pause();
    if (terminate) tcp.end(shut);
  });
  tcp.on('drain', () => ws.resume());
  tcp.on('data', (data) => ws.send(data));
  tcp.on('close', shut);
  tcp.on('error', shut);
  ws.on('close', shut);
  ws.on('error', shut);
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
