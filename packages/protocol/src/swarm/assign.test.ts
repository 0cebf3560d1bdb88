import { fromHex } from "@session/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toBase32z } from "../base32z.ts";
import { ProtocolError } from "../errors.ts";
import { assignSwarms, swarmCountFor, swarmIdAt } from "./assign.ts";

const node = (i: number) => ({ ed25519Pubkey: i.toString(16).padStart(64, "0"), i });
const keys = fc.uniqueArray(fc.stringMatching(/^[0-9a-f]{64}$/), { minLength: 0, maxLength: 60 });

describe("swarmCountFor", () => {
  it.each([
    [0, 1],
    [4, 1],
    [9, 1],
    [11, 2],
    [13, 2],
    [14, 2],
    [21, 3],
    [70, 10],
  ])("%i nodes → %i swarms", (n, count) => expect(swarmCountFor(n)).toBe(count));

  it("rejects nonsense options with a typed error", () => {
    expect(() => swarmCountFor(10, { minSwarmSize: 8, targetSwarmSize: 4 })).toThrow(ProtocolError);
  });
});

describe("assignSwarms", () => {
  it("puts every node in exactly one swarm, sizes differ by at most one, none below min", () => {
    fc.assert(
      fc.property(keys, (ks) => {
        const m = assignSwarms(ks.map((k) => ({ ed25519Pubkey: k })));
        const all = [...m.values()].flat().map((n) => n.ed25519Pubkey);
        expect(all.sort()).toEqual([...ks].sort());
        const sizes = [...m.values()].map((s) => s.length);
        if (ks.length > 0) {
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          if (ks.length >= 5) expect(Math.min(...sizes)).toBeGreaterThanOrEqual(5);
        }
      }),
    );
  });

  it("is independent of input order and deterministic", () => {
    fc.assert(
      fc.property(keys, fc.integer(), (ks, seed) => {
        const nodes = ks.map((k) => ({ ed25519Pubkey: k }));
        const shuffled = [...nodes].sort(() => (seed % 3) - 1);
        const a = assignSwarms(nodes);
        const b = assignSwarms(shuffled);
        expect([...a.entries()].map(([id, ns]) => [id, ns.map((n) => n.ed25519Pubkey)])).toEqual(
          [...b.entries()].map(([id, ns]) => [id, ns.map((n) => n.ed25519Pubkey)]),
        );
      }),
    );
  });

  it("uses evenly spaced ids and never the invalid id", () => {
    const m = assignSwarms(Array.from({ length: 21 }, (_, i) => node(i)));
    expect([...m.keys()]).toEqual([0n, swarmIdAt(1, 3), swarmIdAt(2, 3)]);
    expect(swarmIdAt(1, 3)).toBe((1n << 64n) / 3n);
  });

  it("one join moves at most one member per swarm when the count is unchanged", () => {
    const base = Array.from({ length: 30 }, (_, i) => node(i * 2));
    const before = assignSwarms(base);
    const after = assignSwarms([...base, node(31)]);
    expect(after.size).toBe(before.size);
    for (const [id, members] of after) {
      const old = new Set(before.get(id)!.map((n) => n.ed25519Pubkey));
      const gained = members.filter((n) => !old.has(n.ed25519Pubkey)).length;
      expect(gained).toBeLessThanOrEqual(1);
    }
  });

  it("ignores duplicate keys and rejects malformed ones", () => {
    expect([...assignSwarms([node(1), node(1)]).values()].flat()).toHaveLength(1);
    expect(() => assignSwarms([{ ed25519Pubkey: "xyz" }])).toThrow(ProtocolError);
  });
});

describe("toSwarmSnode", () => {
  it("maps registry fields to get_swarm field names", async () => {
    const { toSwarmSnode, nodeInfoSchema } = await import("./node-info.ts");
    const n = nodeInfoSchema.parse({
      pubkey_ed25519: "aa".repeat(32),
      pubkey_x25519: "bb".repeat(32),
      public_ip: "10.0.0.1",
      storage_port: 22021,
      storage_lmq_port: 22020,
      swarm_id: "18446744073709551614",
    });
    // oxenss swarm_to_json: address (z-base-32 of the legacy pubkey + ".snode"), pubkey_legacy, and
    // keys in the sorted order nlohmann::json writes them.
    const entry = toSwarmSnode(n);
    expect(entry).toEqual({
      address: `${toBase32z(fromHex("aa".repeat(32)))}.snode`,
      ip: "10.0.0.1",
      port: "22021",
      port_https: 22021,
      port_omq: 22020,
      port_quic: 22020,
      pubkey_ed25519: "aa".repeat(32),
      pubkey_legacy: "aa".repeat(32),
      pubkey_x25519: "bb".repeat(32),
    });
    expect(Object.keys(entry)).toEqual([...Object.keys(entry)].sort());
    expect(entry.address).toHaveLength(52 + ".snode".length);
    // A separately registered legacy key is the one named.
    expect(toSwarmSnode({ ...n, service_node_pubkey: "cc".repeat(32) }).pubkey_legacy).toBe("cc".repeat(32));
    expect(() => nodeInfoSchema.parse({ ...n, swarm_id: "18446744073709551616" })).toThrow();
    expect(() => nodeInfoSchema.parse({ ...n, swarm_id: "-1" })).toThrow();
  });
});

describe("assignSwarms over registry records", () => {
  it("accepts NodeInfo-shaped records (pubkey_ed25519)", () => {
    const recs = Array.from({ length: 12 }, (_, i) => ({
      pubkey_ed25519: i.toString(16).padStart(64, "0"),
      n: i,
    }));
    const m = assignSwarms(recs);
    expect(m.size).toBe(2);
    expect(
      [...m.values()]
        .flat()
        .map((r) => r.n)
        .sort((a, b) => a - b),
    ).toEqual(recs.map((r) => r.n));
  });
});

describe("swarmInfoBody", () => {
  it("hex swarm id; unknown swarm is u64 max with no members", async () => {
    const { swarmInfoBody, swarmIdFromHex } = await import("../rpc/get-swarm.ts");
    expect(swarmInfoBody([], undefined)).toEqual({ snodes: [], swarm: "ffffffffffffffff" });
    const b = swarmInfoBody([], 255n);
    expect(b.swarm).toBe("ff");
    expect(swarmIdFromHex(b.swarm)).toBe(255n);
  });
});
