import { describe, expect, it } from "vitest";
import { nodeInfoSchema } from "./node-info.ts";
import {
  requestedNodeFields,
  seedRequestSchema,
  seedResponseSchema,
  selectNodeFields,
  usableSeedNodes,
} from "./seed.ts";

const node = nodeInfoSchema.parse({
  pubkey_ed25519: "aa".repeat(32),
  pubkey_x25519: "bb".repeat(32),
  public_ip: "10.1.2.3",
  storage_port: 22021,
  swarm_id: "42",
});

describe("seed get_n_service_nodes", () => {
  it("parses the request Session Desktop sends", () => {
    const req = seedRequestSchema.parse({
      jsonrpc: "2.0",
      id: "0",
      method: "get_n_service_nodes",
      params: {
        active_only: true,
        fields: { public_ip: true, storage_port: true, pubkey_x25519: true, pubkey_ed25519: true },
      },
    });
    expect(requestedNodeFields(req.params?.fields)).toEqual([
      "pubkey_ed25519",
      "pubkey_x25519",
      "public_ip",
      "storage_port",
    ]);
  });

  it("fields as a list, 'all', or absent", () => {
    expect(requestedNodeFields(["swarm_id", "nonsense"])).toEqual(["swarm_id"]);
    expect(requestedNodeFields(["all"])).toHaveLength(8);
    expect(requestedNodeFields(undefined)).toHaveLength(8);
    expect(requestedNodeFields({ swarm_id: false })).toEqual([]);
  });

  it("answers only the requested fields, and clients keep usable nodes", () => {
    const listed = selectNodeFields(
      node,
      requestedNodeFields({ public_ip: true, storage_port: true, pubkey_ed25519: true, pubkey_x25519: true }),
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
