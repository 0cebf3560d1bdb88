import {
  type AccountKeys,
  decryptIncoming,
  encryptForRecipient,
  fromBase64,
  generateSeed,
  keypairFromSeed,
  padMessage,
  sign,
  toBase64,
  toHex,
  unpadMessage,
  utf8Decode,
} from "@session/crypto";
import {
  decodeContent,
  EnvelopeType,
  encodeContent,
  signRpcParams,
  unwrapFromStorage,
  wrapForStorage,
} from "@session/protocol";
import { type ReachableNode, seedResponseSchema, usableSeedNodes } from "@session/protocol/swarm";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { onionRpc } from "../src/onion-rpc.ts";
import { devnetForTests } from "../src/testing.ts";

/*
 * Issue #15's "done when": a client that speaks only the real network's wire format — written
 * from @session/crypto and @session/protocol primitives (here and in src/onion-rpc.ts, which the
 * devnet status page uses too), not the SDK's transport —
 * bootstraps from the seed's POST /json_rpc (the exact call Session clients make), looks up a
 * Session ID's swarm with get_swarm, stores a message there and retrieves it, every storage RPC
 * through a 3-node onion path.
 *
 * Node traffic goes through its own undici Agent that accepts self-signed certificates, as Session
 * clients do: a node is authenticated by the onion layer encrypted to its registered X25519 key,
 * not by a CA. So this runs unchanged against HTTP or HTTPS devnet nodes.
 */

const nodeAgent = new Agent({ connect: { rejectUnauthorized: false } });
const post = async (url: string, body: string | Uint8Array) => {
  const res = await undiciFetch(url, {
    method: "POST",
    body,
    dispatcher: nodeAgent,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
};

/** What Session Desktop sends a seed (session-desktop ts/session/apis/seed_node_api). */
const SEED_REQUEST = {
  jsonrpc: "2.0",
  id: "0",
  method: "get_n_service_nodes",
  params: {
    active_only: true,
    limit: 20,
    fields: { public_ip: true, storage_port: true, pubkey_ed25519: true, pubkey_x25519: true },
  },
};

class RawClient {
  constructor(
    readonly scheme: string,
    readonly nodes: ReachableNode[],
  ) {}

  /** Three distinct random nodes, none of them the destination. */
  private path(dest: ReachableNode): ReachableNode[] {
    const pool = this.nodes.filter((n) => n.pubkey_ed25519 !== dest.pubkey_ed25519);
    const out: ReachableNode[] = [];
    while (out.length < 3) out.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0]!);
    return out;
  }

  /** One storage RPC to `dest` through a 3-node onion path; the destination's decrypted answer. */
  rpc(dest: ReachableNode, method: string, params: unknown): Promise<{ status: number; body: unknown }> {
    return onionRpc(this.scheme, this.path(dest), dest, { method, params }, post);
  }

  /** The reachable members of a Session ID's swarm, asked of any node (get_swarm). */
  async swarmOf(sessionId: string): Promise<ReachableNode[]> {
    const any = this.nodes[Math.floor(Math.random() * this.nodes.length)]!;
    const r = await this.rpc(any, "get_swarm", { pubkey: sessionId });
    expect(r.status).toBe(200);
    const snodes = (
      r.body as {
        snodes: { ip: string; port_https: number; pubkey_ed25519: string; pubkey_x25519: string }[];
      }
    ).snodes;
    return snodes.map((s) => ({
      public_ip: s.ip,
      storage_port: s.port_https,
      pubkey_ed25519: s.pubkey_ed25519,
      pubkey_x25519: s.pubkey_x25519,
    }));
  }
}

describe("a client built from the wire format alone", () => {
  const net = devnetForTests("devnet-raw", { nodes: 8, fileServer: false, pushServer: false });
  afterAll(async () => {
    await nodeAgent.close();
  });

  it("bootstraps from the seed's /json_rpc, sends to a Session ID and receives through 3-hop paths", async () => {
    const { devnet } = net;
    const scheme = new URL(devnet.seedUrl).protocol.replace(":", "");
    const seed = await post(`${devnet.seedUrl}/json_rpc`, JSON.stringify(SEED_REQUEST));
    expect(seed.status).toBe(200);
    const answer = seedResponseSchema.parse(JSON.parse(utf8Decode(seed.bytes)));
    expect(answer.id).toBe("0");
    for (const s of answer.result.service_node_states)
      expect(Object.keys(s).sort()).toEqual(["pubkey_ed25519", "pubkey_x25519", "public_ip", "storage_port"]);
    const client = new RawClient(scheme, usableSeedNodes(answer));
    expect(client.nodes.map((n) => n.pubkey_ed25519).sort()).toEqual(
      devnet.nodes.map((n) => n.pubkeyEd25519).sort(),
    );

    const alice: AccountKeys = keypairFromSeed(generateSeed());
    const bob: AccountKeys = keypairFromSeed(generateSeed());
    const sent = Date.now();
    const ciphertext = encryptForRecipient(
      alice.ed25519.secretKey,
      bob.sessionId,
      padMessage(encodeContent({ dataMessage: { body: "hello from the wire format" } })),
    );
    const data = toBase64(
      wrapForStorage({ type: EnvelopeType.SESSION_MESSAGE, timestamp: sent, content: ciphertext }),
    );

    const bobSwarm = await client.swarmOf(bob.sessionId);
    expect(bobSwarm.length).toBeGreaterThan(0);
    const stored = await client.rpc(bobSwarm[0]!, "store", {
      pubkey: bob.sessionId,
      namespace: 0,
      timestamp: sent,
      ttl: 14 * 24 * 3600 * 1000,
      data,
    });
    expect(stored.status).toBe(200);
    const hash = (stored.body as { hash: string }).hash;

    // Bob reads from another member of his swarm when there is one (the store reached every member).
    const reader = bobSwarm[bobSwarm.length - 1]!;
    const retrieve = signRpcParams(
      "retrieve",
      { pubkey: bob.sessionId, namespace: 0, timestamp: Date.now() },
      { sign: (m) => sign(m, bob.ed25519.secretKey), ed25519PubkeyHex: toHex(bob.ed25519.publicKey) },
    );
    const got = await client.rpc(reader, "retrieve", retrieve);
    expect(got.status).toBe(200);
    const messages = (got.body as { messages: { hash: string; data: string }[] }).messages;
    expect(messages.map((m) => m.hash)).toEqual([hash]);
    const envelope = unwrapFromStorage(fromBase64(messages[0]!.data));
    const opened = decryptIncoming(bob.ed25519.secretKey, envelope.content!);
    expect(opened.senderSessionId).toBe(alice.sessionId);
    expect(decodeContent(unpadMessage(opened.plaintext)).dataMessage?.body).toBe(
      "hello from the wire format",
    );

    // A refusal comes back through the onion as oxenss's {status, body: "<text>"}.
    // (the timestamp moved by 1 ms: still in the window, no longer what was signed)
    const forged = await client.rpc(reader, "retrieve", {
      ...retrieve,
      timestamp: (retrieve.timestamp as number) + 1,
    });
    expect(forged).toEqual({ status: 401, body: "retrieve signature verification failed" });

    // The chain height the nodes report is the indexer's block, so ifelse height conditions hold.
    const ifelse = await client.rpc(
      reader,
      "ifelse",
      JSON.parse('{"if":{"height_at_least":1},"then":{"method":"info","params":{}}}'),
    );
    expect(ifelse.body).toMatchObject({ condition: true });
    expect((ifelse.body as { height: number }).height).toBeGreaterThan(0);
  });
});
