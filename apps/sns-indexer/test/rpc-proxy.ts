import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** What the proxy does to a matching call instead of (or after) forwarding it. */
export type RpcFault =
  /** HTTP 500 with a text body. */
  | "http500"
  /** A JSON-RPC internal error (-32603) in a 200 answer. */
  | "rpcError"
  /** HTTP 429 with `Retry-After` (seconds, default 0). */
  | "rateLimit"
  /** Never answers (the client's timeout must fire). */
  | "timeout"
  /** The upstream answer cut in the middle of its JSON. */
  | "truncateBody"
  /** eth_getLogs: the last log of the answer left out (a result cap cutting a block short). */
  | "dropLastLog"
  /** eth_getLogs: every log of the answer's last block with logs left out (a prefix of the range). */
  | "dropLastBlock"
  /** eth_getLogs: a log moved outside the asked range (malformed). */
  | "logOutOfRange";

interface Rule {
  method: string;
  fault: RpcFault;
  remaining: number;
  retryAfter?: number;
}

export interface ProxiedCall {
  method: string;
  at: number;
  fault: RpcFault | null;
}

/**
 * A JSON-RPC proxy in front of a real chain that injects faults into chosen calls: the indexer
 * talks to it over HTTP exactly as to a provider. `down` makes it reset every connection.
 */
export class RpcFaultProxy {
  readonly calls: ProxiedCall[] = [];
  down = false;
  private rules: Rule[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();

  constructor(private readonly upstream: string) {}

  async start(): Promise<string> {
    // The upstream chain can be gone (closed at the end of a suite while an indexer still polls):
    // the caller sees a dropped connection, as from a dead provider, never an unhandled rejection.
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `times` calls of `method` get `fault`. */
  inject(method: string, fault: RpcFault, times = 1, opts: { retryAfter?: number } = {}): void {
    this.rules.push({ method, fault, remaining: times, ...opts });
  }

  /** Faults injected but not yet applied. */
  pending(): number {
    return this.rules.reduce((n, r) => n + r.remaining, 0);
  }

  applied(fault: RpcFault, method?: string): number {
    return this.calls.filter((c) => c.fault === fault && (method === undefined || c.method === method))
      .length;
  }

  clear(): void {
    this.rules = [];
  }

  async close(): Promise<void> {
    for (const r of this.held) r.destroy();
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }

  private take(method: string): Rule | undefined {
    const rule = this.rules.find((r) => r.method === method && r.remaining > 0);
    if (rule) rule.remaining--;
    return rule;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    let call: { id?: unknown; method?: string };
    try {
      call = JSON.parse(body);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const method = String(call.method);
    const rule = this.take(method);
    this.calls.push({ method, at: Date.now(), fault: rule?.fault ?? null });
    switch (rule?.fault) {
      case "http500":
        res.writeHead(500, { "content-type": "text/plain" }).end("upstream exploded");
        return;
      case "rpcError":
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ jsonrpc: "2.0", id: call.id, error: { code: -32603, message: "internal error" } }),
        );
        return;
      case "rateLimit":
        res.writeHead(429, { "retry-after": String(rule.retryAfter ?? 0) }).end("slow down");
        return;
      case "timeout":
        this.held.add(res);
        res.on("close", () => this.held.delete(res));
        return;
      default:
        break;
    }
    // Only injected faults: a kept-alive upstream connection closed under us is simply redone.
    const forward = () =>
      fetch(this.upstream, { method: "POST", headers: { "content-type": "application/json" }, body });
    const upstream = await forward().catch(forward);
    let text = await upstream.text();
    if (rule) {
      const corrupted = this.corrupt(rule.fault, text);
      if (corrupted === null) {
        // Nothing to corrupt in this answer (no logs): the fault waits for the next call.
        rule.remaining++;
        this.calls[this.calls.length - 1]!.fault = null;
      } else text = corrupted;
    }
    res.writeHead(upstream.status, { "content-type": "application/json" }).end(text);
  }

  private corrupt(fault: RpcFault, text: string): string | null {
    if (fault === "truncateBody") return text.slice(0, Math.floor(text.length / 2));
    const answer = JSON.parse(text) as { result?: { blockNumber: string }[] };
    const logs = answer.result ?? [];
    if (logs.length === 0) return null;
    if (fault === "dropLastLog") logs.pop();
    else if (fault === "dropLastBlock") {
      const last = logs[logs.length - 1]!.blockNumber;
      answer.result = logs.filter((l) => l.blockNumber !== last);
    } else if (fault === "logOutOfRange") logs[0]!.blockNumber = "0x0";
    return JSON.stringify(answer);
  }
}
