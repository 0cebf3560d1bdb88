import { generateSeed, keypairFromSeed, signNodeRegistration, toHex } from "@session/crypto";
import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../db/store.ts";
import { ChainState } from "./state.ts";

const ctx = { chainId: 421614n, registry: `0x${"aa".repeat(20)}` };
const operator = `0x${"0b".repeat(20)}`;

let block = 1;
function ev(name: string, args: Record<string, unknown>): StoredEvent {
  block++;
  return {
    blockNumber: block,
    logIndex: 0,
    blockHash: `0x${block.toString(16).padStart(64, "0")}`,
    txHash: `0x${block.toString(16).padStart(64, "0")}`,
    contract: "registry",
    name,
    args: JSON.stringify(args),
  };
}

function registerEvents(id: number, signWith?: Uint8Array, port = 22021) {
  const node = keypairFromSeed(generateSeed());
  const sig = signNodeRegistration(signWith ?? node.ed25519.secretKey, {
    ...ctx,
    operator,
    ed25519: node.ed25519.publicKey,
    x25519: node.x25519.publicKey,
    ip: 0x7f000001,
    port,
  });
  return {
    node,
    sig,
    events: [
      ev("NodeRegistered", {
        nodeId: String(id),
        operator,
        ed25519Pubkey: `0x${toHex(node.ed25519.publicKey)}`,
        x25519Pubkey: `0x${toHex(node.x25519.publicKey)}`,
        ip: String(0x7f000001),
        port: "22021",
        feeBps: "0",
        stakingRequirement: "1",
      }),
      ev("NodeKeyProof", { nodeId: String(id), signature: `0x${toHex(sig)}` }),
      ev("NodeActivated", { nodeId: String(id) }),
    ],
  };
}

describe("ChainState versions", () => {
  it("a state rebuilt with as many events as the one it replaces never reuses its version", () => {
    const orphaned = new ChainState(ctx);
    for (const e of registerEvents(1).events) orphaned.apply(e);
    const rebuilt = new ChainState(ctx);
    const before = rebuilt.version;
    for (const e of registerEvents(1).events) rebuilt.apply(e);
    expect(rebuilt.eventCount).toBe(orphaned.eventCount);
    expect(rebuilt.version).not.toBe(orphaned.version);
    expect(rebuilt.version).not.toBe(before);
  });
});

describe("ChainState key proofs", () => {
  it("serves a node whose proof verifies, with operator and signature for the nodes to re-check", () => {
    const s = new ChainState(ctx);
    const { node, sig, events } = registerEvents(1);
    for (const e of events) s.apply(e);
    const served = s.activeNodeInfos();
    expect(served).toHaveLength(1);
    expect(served[0]!.pubkey_ed25519).toBe(toHex(node.ed25519.publicKey));
    expect(served[0]!.operator).toBe(operator);
    expect(served[0]!.registration_signature).toBe(`0x${toHex(sig)}`);
  });

  it("refuses entries whose proof is by another key, for another endpoint, or for another chain", () => {
    const s = new ChainState(ctx);
    for (const e of registerEvents(1, keypairFromSeed(generateSeed()).ed25519.secretKey).events) s.apply(e);
    for (const e of registerEvents(2, undefined, 443).events) s.apply(e);
    expect(s.activeNodeInfos()).toHaveLength(0);
    const other = new ChainState({ ...ctx, chainId: 1n });
    for (const e of registerEvents(3).events) other.apply(e);
    expect(other.activeNodeInfos()).toHaveLength(0);
  });

  it("an endpoint update without a fresh proof takes the node out until one arrives", () => {
    const s = new ChainState(ctx);
    const { events } = registerEvents(1);
    for (const e of events) s.apply(e);
    s.apply(ev("NodeEndpointUpdated", { nodeId: "1", ip: String(0x7f000001), port: "22022" }));
    expect(s.activeNodeInfos()).toHaveLength(0);
  });
});
