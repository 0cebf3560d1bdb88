import { encryptOnsValue, toHex } from "@session/crypto";
import type { NodeInfo } from "@session/protocol";
import { describe, expect, it } from "vitest";
import { ClientError } from "./errors.ts";
import { onionNameResolver } from "./names.ts";

const node = (i: number): NodeInfo => ({
  pubkey_ed25519: i.toString(16).padStart(64, "0"),
  pubkey_x25519: i.toString(16).padStart(64, "0"),
  public_ip: "203.0.113.1",
  storage_port: 22100 + i,
  swarm_id: "0",
});
const nodes = Array.from({ length: 6 }, (_, i) => node(i + 1));
const bob = `05${"ab".repeat(32)}`;

function answerFor(name: string) {
  const { encryptedValue, nonce } = encryptOnsValue(name, bob);
  return { status: 200, body: { result: { encrypted_value: toHex(encryptedValue), nonce: toHex(nonce) } } };
}

describe("onionNameResolver", () => {
  it("asks another node in place of one that cannot be reached, so one dead node does not fail a lookup", async () => {
    const dead = new Set([nodes[0]!.storage_port, nodes[1]!.storage_port]);
    const asked: number[] = [];
    const resolve = onionNameResolver(
      async (dest) => {
        asked.push(dest.storage_port);
        if (dead.has(dest.storage_port))
          throw new ClientError("DESTINATION_UNREACHABLE", "the destination node did not answer", 502);
        return answerFor("bob");
      },
      () => nodes,
      { random: () => 0 }, // always the first remaining node: the two dead ones are picked first
    );
    await expect(resolve("bob")).resolves.toBe(bob);
    expect(asked.filter((p) => !dead.has(p))).toHaveLength(3);
  });

  it("a node answering a 5xx is replaced too", async () => {
    let calls = 0;
    const resolve = onionNameResolver(
      async () => (++calls === 1 ? { status: 503, body: "busy" } : answerFor("bob")),
      () => nodes,
    );
    await expect(resolve("bob")).resolves.toBe(bob);
    expect(calls).toBe(4);
  });

  it("fails with the network's error once every node has been tried", async () => {
    const resolve = onionNameResolver(
      async () => {
        throw new ClientError("DESTINATION_UNREACHABLE", "the destination node did not answer", 502);
      },
      () => nodes,
    );
    await expect(resolve("bob")).rejects.toMatchObject({ code: "DESTINATION_UNREACHABLE" });
  });

  it("a 4xx or an answer that does not decrypt is final, not retried elsewhere", async () => {
    let calls = 0;
    const refused = onionNameResolver(
      async () => {
        calls++;
        return { status: 400, body: "bad request" };
      },
      () => nodes,
      { confirmations: 1 },
    );
    await expect(refused("bob")).rejects.toMatchObject({ code: "NAME_RESOLUTION_UNAVAILABLE" });
    expect(calls).toBe(1);
    const wrongName = onionNameResolver(
      async () => answerFor("alice"),
      () => nodes,
      { confirmations: 1 },
    );
    await expect(wrongName("bob")).rejects.toMatchObject({ code: "NAME_NOT_FOUND" });
  });
});
