/** A loopback TCP proxy that injects network faults between a real client and a real server. */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { sleep } from './process.ts';

export interface FaultProxyOptions {
  target: { host: string; port: number };
  /** @default a free port chosen by the OS (kept for the proxy's whole life, across cut/restore) */
  listenPort?: number;
}

export interface FaultProxyStats {
  /** Connections accepted since start. */
  connections: number;
  /** Connections open now. */
  active: number;
  /** Bytes delivered client → target, and target → client. */
  bytesUp: number;
  bytesDown: number;
}

export interface FaultProxy {
  readonly port: number;
  /** Closes the listener (new connects get ECONNREFUSED at once) and closes every open connection (FIN). */
  cut(): void;
  /** Aborts every open connection with a TCP RST (peers see ECONNRESET); new connections are still accepted. */
  reset(): void;
  /** Adds `ms` of latency to every chunk, in each direction (so a round trip costs at least 2×ms). */
  delay(ms: number): void;
  /** A partition: connections are accepted and kept open, but nothing is forwarded until `restore()`. */
  blackhole(): void;
  /** Back to normal: rebinds the same port after a cut, releases held bytes after a blackhole, no delay. */
  restore(): Promise<void>;
  stats(): FaultProxyStats;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  upstream: Socket | undefined;
  stops: Array<() => void>;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const { target } = options;
  const links = new Set<Link>();
  const stats = { connections: 0, bytesUp: 0, bytesDown: 0 };
  let mode: 'open' | 'cut' | 'blackhole' | 'closed' = 'open';
  let latencyMs = 0;
  const latency = () => latencyMs;

  const connectUpstream = (link: Link) => {
    const upstream = connect({ host: target.host, port: target.port });
    link.upstream = upstream;
    // A target that refuses or aborts shows up as a reset to the client, as it would without the proxy.
    // A clean close (FIN) travels through `forward`, after any bytes still held by a delay.
    upstream.on('error', () => {
      if (!link.client.destroyed) link.client.resetAndDestroy();
    });
    link.stops.push(
      forward(link.client, upstream, latency, (n) => {
        stats.bytesUp += n;
      }),
      forward(upstream, link.client, latency, (n) => {
        stats.bytesDown += n;
      }),
    );
  };

  const onConnection = (client: Socket) => {
    stats.connections++;
    if (mode === 'cut' || mode === 'closed') return void client.destroy();
    const link: Link = { client, upstream: undefined, stops: [] };
    links.add(link);
    client.on('error', () => {});
    client.on('close', () => {
      links.delete(link);
      for (const stop of link.stops) stop();
      link.upstream?.destroy();
    });
    // Blackholed: the handshake succeeds, then silence; the target is only dialled on restore.
    if (mode === 'blackhole') client.pause();
    else connectUpstream(link);
  };

  let server: Server | undefined = await listen(options.listenPort ?? 0, onConnection);
  const port = (server.address() as { port: number }).port;

  const dropAll = (how: 'fin' | 'rst') => {
    for (const { client, upstream } of [...links]) {
      // resetAndDestroy() on a socket still connecting would wait for the connect: plain destroy there.
      if (how === 'rst' && !client.destroyed) client.resetAndDestroy();
      if (how === 'rst' && upstream && !upstream.destroyed && !upstream.connecting)
        upstream.resetAndDestroy();
      client.destroy();
      upstream?.destroy();
    }
  };

  return {
    port,
    cut() {
      if (mode === 'closed') return;
      mode = 'cut';
      // Closing the listening socket is synchronous: the very next connect() is refused by the kernel.
      server?.close();
      server = undefined;
      dropAll('fin');
    },
    reset: () => dropAll('rst'),
    delay(ms) {
      latencyMs = Math.max(0, ms);
    },
    blackhole() {
      if (mode !== 'open') return;
      mode = 'blackhole';
      for (const { client, upstream } of links) {
        client.pause();
        upstream?.pause();
      }
    },
    async restore() {
      latencyMs = 0;
      if (mode === 'cut') server = await listen(port, onConnection);
      if (mode === 'blackhole') {
        for (const link of links) {
          if (link.upstream) {
            link.client.resume();
            link.upstream.resume();
          } else {
            connectUpstream(link);
            link.client.resume();
          }
        }
      }
      if (mode !== 'closed') mode = 'open';
    },
    stats: () => ({ ...stats, active: links.size }),
    async close() {
      mode = 'closed';
      const closing = server;
      server = undefined;
      dropAll('fin');
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
}

/** Listens on 127.0.0.1; retries EADDRINUSE briefly, since after a cut the port may linger a moment. */
async function listen(port: number, onConnection: (socket: Socket) => void): Promise<Server> {
  for (let attempt = 1; ; attempt++) {
    const server = createServer(onConnection);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', () => {}); // accept errors (e.g. EMFILE) must not crash the test process
      return server;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw error;
      await sleep(50);
    }
  }
}

/**
 * Copies `from` → `to`, holding each chunk `latency()` ms. Chunks keep their order even when the
 * latency changes mid-stream (a chunk is never due before the one ahead of it). Returns a stop function.
 */
function forward(
  from: Socket,
  to: Socket,
  latency: () => number,
  count: (bytes: number) => void,
): () => void {
  const queue: Array<{ due: number; chunk: Buffer }> = [];
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const deliver = (chunk: Buffer) => {
    if (to.destroyed) return;
    to.write(chunk);
    count(chunk.length);
  };
  const flush = () => {
    timer = undefined;
    while (queue.length > 0 && queue[0]!.due <= Date.now()) deliver(queue.shift()!.chunk);
    if (queue.length > 0) timer = setTimeout(flush, queue[0]!.due - Date.now());
    else if (ended && !to.destroyed) to.end();
  };
  from.on('data', (chunk: Buffer) => {
    const ms = latency();
    if (ms === 0 && queue.length === 0) return deliver(chunk);
    queue.push({ due: Math.max(Date.now() + ms, queue.at(-1)?.due ?? 0), chunk });
    timer ??= setTimeout(flush, ms);
  });
  from.on('end', () => {
    ended = true;
    if (queue.length === 0 && !to.destroyed) to.end();
  });
  return () => {
    clearTimeout(timer);
    queue.length = 0;
  };
}
