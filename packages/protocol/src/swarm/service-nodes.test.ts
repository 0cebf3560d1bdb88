import { describe, expect, it } from "vitest";
import type { NodeInfo } from "./node-info.ts";
import {
  answerServiceNodesJsonRpc,
  isFieldRequested,
  parseServiceNodesParams,
  type ServiceNodesState,
  serviceNodesResult,
} from "./service-nodes.ts";

// Expectations from oxen-io/oxen-core: core_rpc_server_command_parser.cpp parse_request(GET_SERVICE_NODES),
// core_rpc_server.cpp invoke(GET_SERVICE_NODES) / requested() / fill_sn_response_entry, and
// http_server.cpp / http_server_base.cpp (JSON-RPC envelope and error codes).

const nodes: NodeInfo[] = Array.from({ length: 6 }, (_, i) => ({
  pubkey_ed25519: String(i).repeat(64),
  pubkey_x25519: String(i + 1).repeat(64),
  public_ip: `10.0.0.${i + 1}`,
  storage_port: 22000 + i,
  swarm_id: String(1000 + (i % 2)),
  ...(i === 5 ? { active: false } : {}),
}));
const state = (): ServiceNodesState => ({ nodes, height: 1234, hardfork: [19, 3] });
const SESSION_FIELDS = { public_ip: true, storage_port: true, pubkey_ed25519: true, pubkey_x25519: true };

function call(body: unknown, randomInt?: (a: number, b: number) => number) {
  return answerServiceNodesJsonRpc(JSON.stringify(body), state, randomInt);
}

describe("get_n_service_nodes over /json_rpc", () => {
  it("answers the call Session clients make with only the requested fields", () => {
    const r = call({
      jsonrpc: "2.0",
      id: "0",
      method: "get_n_service_nodes",
      params: { active_only: true, fields: SESSION_FIELDS, limit: 3 },
    });
    expect(JSON.stringify(Object.keys(r))).toBe('["id","jsonrpc","result"]');
    if (!("result" in r)) throw new Error("expected a result");
    expect(r.id).toBe("0");
    const result = r.result as { service_node_states: Record<string, unknown>[]; status: string };
    // height etc. only when requested: a fields list that names none of them leaves them out.
    expect(Object.keys(result).sort()).toEqual(["service_node_states", "status"]);
    expect(result.status).toBe("OK");
    expect(result.service_node_states).toHaveLength(3);
    for (const s of result.service_node_states) {
      expect(Object.keys(s).sort()).toEqual(["pubkey_ed25519", "pubkey_x25519", "public_ip", "storage_port"]);
      expect(s.public_ip).not.toBe("10.0.0.6"); // inactive
    }
  });

  it("gives every field and the chain fields when none are named, and 'all' minus '-x'", () => {
    const r = call({ jsonrpc: "2.0", id: 7, method: "get_service_nodes" });
    if (!("result" in r)) throw new Error("expected a result");
    const result = r.result as Record<string, unknown> & { service_node_states: Record<string, unknown>[] };
    expect(result).toMatchObject({
      height: 1234,
      target_height: 1234,
      hardfork: 19,
      snode_revision: 3,
      status: "OK",
    });
    expect(result.service_node_states).toHaveLength(6);
    expect(result.service_node_states[1]).toEqual({
      active: true,
      public_ip: "10.0.0.2",
      pubkey_ed25519: "1".repeat(64),
      pubkey_x25519: "2".repeat(64),
      service_node_pubkey: "1".repeat(64),
      storage_port: 22001,
      swarm: (1001).toString(16),
      swarm_id: "1001",
    });
    const fields = parseServiceNodesParams({ fields: ["all", "-swarm_id", "-height"] }).fields;
    expect(isFieldRequested(fields, "swarm_id")).toBe(false);
    expect(isFieldRequested(fields, "swarm")).toBe(true);
    const some = serviceNodesResult(parseServiceNodesParams({ fields: ["all", "-height"] }), state());
    expect(some).not.toHaveProperty("height");
    expect(some).toHaveProperty("target_height", 1234);
    // {"all": true} in the dict form means every field, whatever else is named.
    expect(parseServiceNodesParams({ fields: { all: true, public_ip: true } }).fields.size).toBe(0);
    expect(parseServiceNodesParams({ fields: { public_ip: true, swarm_id: false } }).fields).toEqual(
      new Set(["public_ip"]),
    );
  });

  it("limit: n random nodes (oxend's partial Fisher–Yates), all shuffled when too large or negative, all in order at 0", () => {
    const q = (limit: number) => parseServiceNodesParams({ limit, fields: ["public_ip"] });
    const ips = (r: Record<string, unknown>) =>
      (r.service_node_states as { public_ip: string }[]).map((s) => s.public_ip);
    // A "random" source that always picks the last candidate: swaps i with top.
    const last = (_min: number, max: number) => max;
    expect(ips(serviceNodesResult(q(2), state(), last))).toEqual(["10.0.0.6", "10.0.0.1"]);
    expect(ips(serviceNodesResult(q(0), state(), last))).toEqual(nodes.map((n) => n.public_ip));
    expect(ips(serviceNodesResult(q(-1), state(), last))).toHaveLength(6);
    expect(ips(serviceNodesResult(q(99), state(), last))).toHaveLength(6);
    // With the real source, repeated draws differ (6·5·4 ordered triples).
    const seen = new Set(Array.from({ length: 40 }, () => ips(serviceNodesResult(q(3), state())).join()));
    expect(seen.size).toBeGreaterThan(1);
  });

  it("service_node_pubkeys selects nodes", () => {
    const r = serviceNodesResult(
      parseServiceNodesParams({ service_node_pubkeys: ["2".repeat(64)] }),
      state(),
    );
    expect((r.service_node_states as unknown[]).length).toBe(1);
  });

  it("JSON-RPC errors as oxend writes them (HTTP 200, code and message)", () => {
    expect(answerServiceNodesJsonRpc("{nope", state)).toEqual({
      error: { code: -32700, message: "Parse error" },
      id: null,
      jsonrpc: "2.0",
    });
    expect(call({ jsonrpc: "2.0", id: 3 })).toEqual({
      error: { code: -32600, message: "Invalid Request" },
      id: 3,
      jsonrpc: "2.0",
    });
    expect(call({ jsonrpc: "2.0", id: "x", method: "get_info" })).toEqual({
      error: { code: -32601, message: "Method not found" },
      id: "x",
      jsonrpc: "2.0",
    });
    const bad = call({ jsonrpc: "2.0", id: 1, method: "get_n_service_nodes", params: { limit: "ten" } });
    expect(bad).toMatchObject({ error: { code: -32602, message: "Invalid params" }, id: 1 });
    expect((bad as { error: { data: string } }).error.data).toMatch(
      /^Unable to parse request: Failed to parse request parameters: /,
    );
    expect(JSON.stringify(Object.keys(bad))).toBe('["error","id","jsonrpc"]');
  });
});
