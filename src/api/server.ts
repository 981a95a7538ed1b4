/**
 * The read-only HTTP API, in the manner of kubelet's read-only port: GET /healthz, /pods, /events
 * and /metrics. No route changes anything. A known path with another method gets 405, any other
 * path 404. Requests are capped: header size, time to send them, and open connections.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";

import type { Logger } from "../log/logger.js";
import type { V1EventList, V1PodList } from "../status/k8s-types.js";
import type { ListenAddress } from "./address.js";

/** Health of the daemon: its loop runs and the runtime responds. */
export type Health = { ok: true } | { ok: false; reason: string };

/** Data the API serves; the daemon passes its controller, status store and metrics. */
export interface StatusSource {
  health(): Health;
  podList(): V1PodList;
  eventList(): V1EventList;
  metrics(): Promise<{ contentType: string; body: string }>;
}

/** Options of the API server. */
export interface ApiServerOptions {
  source: StatusSource;
  log: Logger;
  /** Connections open at once; more are closed at once. Default 64. */
  maxConnections?: number;
  /** Largest request head (request line and headers), in bytes; larger gets 431. Default 8 192. */
  maxHeaderBytes?: number;
  /** Time a client has to send its request, in milliseconds. Default 10 000. */
  requestTimeoutMs?: number;
}

/** A listening API server. */
export interface ApiServer {
  /** The address it listens on, with the real port when 0 was asked for. */
  address: ListenAddress;
  close(): Promise<void>;
}

const ROUTES = new Set(["/healthz", "/pods", "/events", "/metrics"]);

/**
 * How long a rejected request's remaining bytes are read and dropped before its connection closes.
 * A socket closed with unread bytes makes the kernel reset the connection, and the reset can
 * discard the response before the client has read it.
 */
const LINGER_MS = 1_000;

/** Starts the API on `address`; rejects when the address cannot be bound. */
export async function startApiServer(address: ListenAddress, options: ApiServerOptions): Promise<ApiServer> {
  const server = http.createServer(
    {
      maxHeaderSize: options.maxHeaderBytes ?? 8_192,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      headersTimeout: Math.min(options.requestTimeoutMs ?? 10_000, 5_000),
    },
    (request, response) => {
      inFlight.set(request.socket, response);
      response.once("close", () => inFlight.delete(request.socket));
      handle(request, response, options).catch((error: unknown) => {
        options.log.error("status API request failed", { path: request.url, err: error });
        if (!response.headersSent) send(response, 500, "text/plain; charset=utf-8", "internal error\n");
        else response.destroy();
      });
    },
  );
  server.on("clientError", rejectMalformed);
  server.maxConnections = options.maxConnections ?? 64;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;

  return {
    address: { host: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(request: http.IncomingMessage, response: http.ServerResponse, options: ApiServerOptions): Promise<void> {
  // Only the path counts; a query string is ignored, as kubelet's read-only port ignores it.
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  if (!ROUTES.has(path)) {
    send(response, 404, "text/plain; charset=utf-8", `404 page not found: ${path}\n`);
    return;
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("Allow", "GET, HEAD");
    await dropBody(request);
    send(response, 405, "text/plain; charset=utf-8", `method ${request.method ?? ""} not allowed on ${path}; this API is read-only\n`);
    return;
  }
  const head = request.method === "HEAD";

  switch (path) {
    case "/healthz": {
      const health = options.source.health();
      if (health.ok) send(response, 200, "text/plain; charset=utf-8", "ok", head);
      else send(response, 503, "text/plain; charset=utf-8", `${health.reason}\n`, head);
      return;
    }
    case "/pods":
      send(response, 200, "application/json", JSON.stringify(options.source.podList()) + "\n", head);
      return;
    case "/events":
      send(response, 200, "application/json", JSON.stringify(options.source.eventList()) + "\n", head);
      return;
    case "/metrics": {
      const { contentType, body } = await options.source.metrics();
      send(response, 200, contentType, body, head);
      return;
    }
  }
}

/**
 * Reads and drops a request's body for at most LINGER_MS. Node closes a connection whose client
 * asked for that with the body unread, and the reset that follows could discard the response.
 */
async function dropBody(request: http.IncomingMessage): Promise<void> {
  if (request.readableEnded) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, LINGER_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    request.once("end", done);
    request.once("close", done);
    request.once("error", done);
    request.resume();
  });
}

/** Status lines of the parser errors that do not get 400. */
const REJECTION_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};

/** Sockets whose rejection was handled. The parser reports an error again for each later chunk. */
const rejected = new WeakSet<Duplex>();

/** The response in progress on each socket, which a later parser error must not interrupt. */
const inFlight = new WeakMap<Duplex, http.ServerResponse>();

/**
 * Responds to a request the parser rejected: 431 for an oversized head, 408 for a slow one, 400
 * otherwise. Node's own handler destroys the socket at once. This one closes the sending side
 * and drops what still arrives for LINGER_MS first.
 */
function rejectMalformed(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (rejected.has(socket)) return;
  rejected.add(socket);
  // Bytes after a request without a declared body, such as a DELETE's, do not parse. The response
  // to that request is sent first, and the connection closes after it.
  const response = inFlight.get(socket);
  if (response !== undefined) {
    response.once("close", () => socket.destroy());
    return;
  }
  if (!socket.writable || (socket as Socket).bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const status = REJECTION_STATUS[error.code ?? ""] ?? "400 Bad Request";
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function send(response: http.ServerResponse, status: number, contentType: string, body: string, head = false): void {
  response.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store" });
  response.end(head ? undefined : body);
}
