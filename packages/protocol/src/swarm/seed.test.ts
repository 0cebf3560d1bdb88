import { describe, expect, it } from "vitest";
import { nodeInfoSchema } from "./node-info.ts";
import { seedRequestSchema, seedResponseSchema, usableSeedNodes } from "./seed.ts";
import { parseServiceNodesParams, serviceNodeEntry } from "./service-nodes.ts";

const node = nodeInfoSchema.parse({
  pubkey_ed25519: "aa".repeat(32),
  pubkey_x25519: "bb".repeat(32),
  public_ip: "10.1.2.3",
  storage_port: 22021,
  swarm_id: "42",
});

describe("seed get_n_service_nodes", () => {
  it("answers only the requested fields, and clients keep usable nodes", () => {
    const listed = serviceNodeEntry(
      node,
      parseServiceNodesParams({
        fields: { public_ip: true, storage_port: true, pubkey_ed25519: true, pubkey_x25519: true },
      }).fields,
    );
    expect(listed).toEqual({
      pubkey_ed25519: "aa".repeat(32),
      pubkey_x25519: "bb".repeat(32),
      public_ip: "10.1.2.3",
      storage_port: 22021,
    });
    const res = seedResponseSchema.parse({
      jsonrpc: "2.0",
      id: "0",
      result: {
        service_node_states: [listed, { ...listed, public_ip: "0.0.0.0" }, { public_ip: "1.1.1.1" }],
      },
    });
    expect(usableSeedNodes(res)).toEqual([listed]);
  });

  it("rejects unknown methods", () => {
    expect(seedRequestSchema.safeParse({ method: "stop_daemon" }).success).toBe(false);
  });
});
