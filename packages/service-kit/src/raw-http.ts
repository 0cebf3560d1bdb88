import { once } from "node:events";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Test helpers that speak HTTP/1.1 over a bare socket: fetch cannot send a body with a false
 * Content-Length, cannot dribble headers, and hides when the server closed the connection.
 */

export interface RawResponse {
  /** 0 when no status line arrived before the connection closed. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Body bytes written before the server closed the connection (or all of them). */
  bytesWritten: number;
  /** The server closed (or reset) the connection. */
  closedByServer: boolean;
}

export interface OversizedBodyOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Body bytes to offer (the server should stop long before). */
  bytes: number;
  /**
   * `chunked`: Transfer-Encoding chunked, no length. `declared`: an honest Content-Length.
   * `lying`: a Content-Length of `declaredBytes` followed by `bytes` bytes of body.
   */
  framing: "chunked" | "declared" | "lying";
  declaredBytes?: number;
  /** Byte the body is made of (default `{`: the start of JSON that never ends). */
  fill?: number;
  /** Gives up (resolving with what it has) after this long; default 20 s. */
  timeoutMs?: number;
}

/** Opens a connection to `url`'s host and port (TLS for https:, certificates not checked). */
export async function rawConnect(url: string): Promise<Socket> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const socket =
    u.protocol === "https:"
      ? tlsConnect({ host, port, rejectUnauthorized: false, servername: undefined })
      : netConnect(port, host);
  await once(socket, u.protocol === "https:" ? "secureConnect" : "connect");
  return socket;
}

function parseResponse(raw: Buffer): Pick<RawResponse, "status" | "headers" | "body"> {
  const text = raw.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return { status: 0, headers: {}, body: "" };
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(":");
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), "latin1"));
  if (headers["transfer-encoding"] === "chunked") {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const nl = body.indexOf("\r\n", at);
      if (nl < 0) break;
      const size = Number.parseInt(body.subarray(at, nl).toString("latin1"), 16);
      if (!(size > 0)) break;
      parts.push(body.subarray(nl + 2, nl + 2 + size));
      at = nl + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers["content-length"] !== undefined) {
    body = body.subarray(0, Number(headers["content-length"]));
  }
  return { status, headers, body: body.toString("utf8") };
}

/**
 * Sends a request whose body is far larger than a server should accept, writing as fast as the
 * server reads, and stops when the server answers and closes. Resolves with the first response
 * and how much of the body the server took before closing.
 */
export async function sendOversizedBody(url: string, options: OversizedBodyOptions): Promise<RawResponse> {
  const u = new URL(url);
  const socket = await rawConnect(url);
  const timeout = options.timeoutMs ?? 20_000;
  const chunk = Buffer.alloc(64 * 1024, options.fill ?? 0x7b);
  const received: Buffer[] = [];
  let closed = false;
  socket.on("data", (d: Buffer) => received.push(d));
  socket.on("error", () => {});
  const closedP = new Promise<void>((resolve) =>
    socket.once("close", () => {
      closed = true;
      resolve();
    }),
  );
  const head = [
    `${options.method ?? "POST"} ${u.pathname}${u.search} HTTP/1.1`,
    `Host: ${u.host}`,
    ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    options.framing === "chunked"
      ? "Transfer-Encoding: chunked"
      : `Content-Length: ${options.framing === "lying" ? (options.declaredBytes ?? 16) : options.bytes}`,
    "",
    "",
  ].join("\r\n");
  socket.write(head);
  let written = 0;
  const deadline = Date.now() + timeout;
  // Stop writing once a response has begun: the server has decided.
  while (written < options.bytes && !closed && received.length === 0 && Date.now() < deadline) {
    const n = Math.min(chunk.length, options.bytes - written);
    const data = chunk.subarray(0, n);
    const ok =
      options.framing === "chunked"
        ? socket.write(Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), data, Buffer.from("\r\n")]))
        : socket.write(data);
    written += n;
    if (!ok)
      await Promise.race([once(socket, "drain").catch(() => {}), closedP, delay(deadline - Date.now())]);
  }
  if (!closed && options.framing === "chunked" && written >= options.bytes) socket.write("0\r\n\r\n");
  await Promise.race([closedP, delay(Math.max(0, deadline - Date.now()))]);
  const closedByServer = closed;
  socket.destroy();
  return { ...parseResponse(Buffer.concat(received)), bytesWritten: written, closedByServer };
}

/** Resolves with what the server sent once it closed `socket`, or "open" if it did not within `ms`. */
export function closedWithin(socket: Socket, ms: number): Promise<string> {
  let got = "";
  socket.on("data", (d: Buffer) => {
    got += d.toString("latin1");
  });
  socket.on("error", () => {});
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve("open"), ms);
    socket.once("close", () => {
      clearTimeout(t);
      resolve(got);
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

let gc: (() => void) | undefined;

/** A full garbage collection, so memory figures are not just garbage waiting to be collected. */
export function collectGarbage(): void {
  if (!gc) {
    // The flag can be set at run time; a fresh context then exposes gc() without --expose-gc.
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}

/** Resident set size after a full garbage collection. */
export function rssBytes(): number {
  collectGarbage();
  return process.memoryUsage().rss;
}
