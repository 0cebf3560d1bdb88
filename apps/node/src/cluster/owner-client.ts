import { toHex } from "@session/crypto";
import type { LinkPeerAuth } from "@session/protocol/onion";
import type { Logger } from "pino";
import { Pool } from "undici";
import type { LinkReply } from "../onion/node-link.ts";
import type { RpcResult } from "../rpc/handler.ts";
import { storageHttpRefusal } from "../rpc/storage-rpc-route.ts";
import { type FanOutWire, INTERNAL_HEADER, OWNER_PATHS, PEER_HEADERS } from "./protocol.ts";

const OWNER_UNAVAILABLE: LinkReply = {
  status: 503,
  contentType: "text/plain; charset=utf-8",
  body: new TextEncoder().encode("Snode busy: owner unavailable"),
};

/**
 * A worker's own requests to the owner (owner-gate.ts), on keep-alive connections to its socket.
 * The stores a worker committed in one event-loop turn go to the owner in one request to be sent
 * on to the swarm peers (one round trip for the batch). A storage RPC the worker does not serve
 * that fails on the way is answered 500 `request failed`.
 */
export function ownerClient(socketPath: string, secret: string, logger: Logger) {
  const pool = new Pool("http://owner.invalid", { socketPath, connections: 16 });
  /** POSTs to the owner as a worker; a status other than 200 throws. */
  const send = async (path: string, headers: Record<string, string>, body: string | Buffer) => {
    const r = await pool.request({
      path,
      method: "POST",
      headers: { ...headers, [INTERNAL_HEADER]: secret },
      body,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    if (r.statusCode !== 200) {
      await r.body.dump();
      throw new Error(`owner answered ${r.statusCode}`);
    }
    return r;
  };
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const r = await send(path, { "content-type": "application/json" }, JSON.stringify(body));
    return (await r.body.json()) as T;
  };
  const logFailure = (err: unknown) => logger.error({ err: String(err) }, "owner request failed");
  const failed = (err: unknown) => {
    logFailure(err);
    return storageHttpRefusal.failed();
  };

  let batch: { wire: FanOutWire; done(swarm: Record<string, unknown>): void; failed(): void }[] = [];
  const sendBatch = () => {
    const sent = batch;
    batch = [];
    post<Record<string, unknown>[]>(
      OWNER_PATHS.fanOut,
      sent.map((s) => s.wire),
    ).then(
      (results) => {
        for (const [i, s] of sent.entries()) {
          const swarm = results[i];
          if (swarm) s.done(swarm);
          else s.failed();
        }
      },
      (err: unknown) => {
        logFailure(err);
        for (const s of sent) s.failed();
      },
    );
  };

  return {
    /**
     * Sends a store this worker committed on to the swarm `peers` (with the others of this turn)
     * and returns their entries. Should the owner not answer, each peer's entry says the request
     * failed (the message is stored here; the peers' catch-up brings it to them).
     */
    fanOut(request: unknown, hash: string, peers: readonly string[]): Promise<Record<string, unknown>> {
      return new Promise((done) => {
        const unanswered = () =>
          done(Object.fromEntries(peers.map((p) => [p, { failed: true, query_failure: true }])));
        batch.push({ wire: { request, hash }, done, failed: unanswered });
        if (batch.length === 1) setImmediate(sendBatch);
      });
    },
    /** A storage RPC request the worker does not serve itself, answered by the owner. */
    rpc(body: unknown): Promise<RpcResult> {
      return post<RpcResult>(OWNER_PATHS.rpc, body).catch(failed);
    },
    /**
     * A node-to-node request that came on a node link this worker took (swarm forwards and the
     * like, which the owner serves), with its sender's signature; the owner's reply, or 503
     * should the owner not answer (the peer retries as for a busy node).
     */
    async peer(auth: LinkPeerAuth, body: Uint8Array): Promise<LinkReply> {
      try {
        const r = await send(
          OWNER_PATHS.peer,
          {
            "content-type": "application/octet-stream",
            [PEER_HEADERS.pubkey]: toHex(auth.pubkey),
            [PEER_HEADERS.timestamp]: String(auth.timestamp),
            [PEER_HEADERS.signature]: toHex(auth.signature),
          },
          Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        );
        const bytes = Buffer.from(await r.body.arrayBuffer());
        const type = r.headers["content-type"];
        return {
          status: Number(r.headers[PEER_HEADERS.status]),
          contentType: (Array.isArray(type) ? type[0] : type) ?? "application/json",
          body: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        };
      } catch (err) {
        logFailure(err);
        return OWNER_UNAVAILABLE;
      }
    },
    close: () => pool.close(),
  };
}
