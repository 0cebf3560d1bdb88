import { fromHex } from "@session/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import vectors from "../../test/vectors/swarm.json" with { type: "json" };
import { ProtocolError } from "../errors.ts";
import { closestSwarm, swarmForPubkey, swarmSpacePosition } from "./space.ts";

const U64 = (1n << 64n) - 1n;

describe("swarmSpacePosition", () => {
  it.each(vectors.positions)("matches oxenss for $pubkey", ({ pubkey, position }) => {
    expect(swarmSpacePosition(fromHex(pubkey.slice(2)))).toBe(BigInt(position));
  });

  it("rejects keys that are not 32 bytes", () => {
    expect(() => swarmSpacePosition(new Uint8Array(33))).toThrow(ProtocolError);
  });
});

describe("closestSwarm", () => {
  for (const [i, phase] of vectors.mappings.entries()) {
    const ids = phase.swarmIds.map(BigInt);
    it.each(phase.cases)(`phase ${i}: $pubkey → $swarm`, ({ pubkey, swarm }) => {
      expect(swarmForPubkey(pubkey, ids)).toBe(BigInt(swarm));
      // order of the id list must not matter
      expect(swarmForPubkey(pubkey, [...ids].reverse())).toBe(BigInt(swarm));
    });
  }

  it("a single swarm owns every position", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: U64 }), fc.bigInt({ min: 0n, max: U64 }), (pos, id) => {
        expect(closestSwarm(pos, [id])).toBe(id);
      }),
    );
  });

  it("picks an id with minimal ring distance", () => {
    const ringDist = (a: bigint, b: bigint) => {
      const d = (a - b) & U64;
      const e = (b - a) & U64;
      return d < e ? d : e;
    };
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: U64 }),
        fc.uniqueArray(fc.bigInt({ min: 0n, max: U64 }), { minLength: 2, maxLength: 20 }),
        (pos, ids) => {
          const got = closestSwarm(pos, ids);
          expect(ids).toContain(got);
          const best = ids.reduce((m, id) => (ringDist(pos, id) < m ? ringDist(pos, id) : m), U64);
          expect(ringDist(pos, got)).toBe(best);
        },
      ),
    );
  });

  it("throws a typed error with no swarms", () => {
    expect(() => closestSwarm(0n, [])).toThrow(ProtocolError);
  });

  it("rejects malformed account ids", () => {
    expect(() => swarmForPubkey("05zz", [1n])).toThrow(ProtocolError);
  });
});
