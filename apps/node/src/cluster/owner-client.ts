import type { Logger } from "pino";
import { Pool } from "undici";
import type { PreparedStore, RpcResult } from "../rpc/handler.ts";
import { storageHttpRefusal } from "../rpc/storage-rpc-route.ts";
import { INTERNAL_HEADER, OWNER_PATHS, type PreparedStoreWire, preparedToWire } from "./protocol.ts";

/**
 * A worker's own requests to the owner (owner-gate.ts), on keep-alive connections to its socket.
 * The stores a worker prepared in one event-loop turn go in one request, and the owner commits
 * them in one transaction (its group commit): one round trip and one commit for the batch instead
 * of one each. A failed request is answered 500 `request failed` (never acknowledged, so the
 * client sends it again: nothing it was told is stored is lost).
 */
export function ownerClient(socketPath: string, secret: string, logger: Logger) {
  const pool = new Pool("http://owner.invalid", { socketPath, connections: 16 });
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const r = await pool.request({
      path,
      method: "POST",
      headers: { "content-type": "application/json", [INTERNAL_HEADER]: secret },
      body: JSON.stringify(body),
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    if (r.statusCode !== 200) {
      await r.body.dump();
      throw new Error(`owner answered ${r.statusCode}`);
    }
    return (await r.body.json()) as T;
  };
  const failed = (err: unknown) => {
    logger.error({ err: String(err) }, "owner request failed");
    return storageHttpRefusal.failed();
  };

  let batch: { wire: PreparedStoreWire; done(r: RpcResult): void }[] = [];
  const sendBatch = () => {
    const sent = batch;
    batch = [];
    post<RpcResult[]>(
      OWNER_PATHS.store,
      sent.map((s) => s.wire),
    ).then(
      (results) => {
        for (const [i, s] of sent.entries()) s.done(results[i] ?? storageHttpRefusal.failed());
      },
      (err: unknown) => {
        const r = failed(err);
        for (const s of sent) s.done(r);
      },
    );
  };

  return {
    /** Commits a prepared store (with the others of this turn) and returns the owner's answer. */
    store(p: PreparedStore): Promise<RpcResult> {
      return new Promise((done) => {
        batch.push({ wire: preparedToWire(p), done });
        if (batch.length === 1) setImmediate(sendBatch);
      });
    },
    /** A storage RPC request the worker does not serve itself, answered by the owner. */
    rpc(body: unknown): Promise<RpcResult> {
      return post<RpcResult>(OWNER_PATHS.rpc, body).catch(failed);
    },
    close: () => pool.close(),
  };
}
