/**
 * A request Node's HTTP parser cannot read at all (a raw non-ASCII byte in the path, a malformed header line)
 * never reaches Express: Node answers a bare `400 Bad Request` with no body. On a server Strata runs itself
 * (`npm start`) it gets the API's JSON error instead. In the cloud, Google's front end refuses such requests
 * before they reach a function instance.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

const BODY = JSON.stringify({ error: 'invalid_request', message: 'the request is not valid HTTP' });

export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A connection reset or a timeout has nobody left to answer.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(BODY)}\r\nconnection: close\r\n\r\n${BODY}`,
    );
  });
}
