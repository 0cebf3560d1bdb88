import { onionSealLayer, toHex } from "@session/crypto";
import { bencode } from "@session/protocol";
import { encodeOnionLayer } from "@session/protocol/onion";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postBytes } from "./helpers/onion-client.ts";
import { type OnionTestNode, startOnionTestNode, TestNetwork } from "./helpers/onion-node.ts";

/*
 * Whatever arrives, the first hop answers with one of its documented statuses (200 with an
 * encrypted reply, 400, 413) — never a 5xx, never a crash, never a hang.
 */

const network = new TestNetwork();
let node: OnionTestNode;

beforeAll(async () => {
  node = await startOnionTestNode(network, { limits: { maxBodyBytes: 4096 } });
});
afterAll(() => node.close());

const json = fc.jsonValue({ maxDepth: 2 });
const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex);
const routingLike = fc.record(
  {
    ephemeral_key: fc.oneof(hex64, fc.string()),
    enc_type: fc.constantFrom("aes-gcm", "xchacha20", "gcm", "bogus", 7),
    hop_no: fc.oneof(fc.integer({ min: -5, max: 30 }), fc.string()),
    headers: fc.constantFrom("", {}),
    destination: fc.oneof(hex64, fc.string()),
    host: fc.constantFrom("127.0.0.1", "localhost", ""),
    target: fc.constantFrom("/oxen/v4/lsrpc", "/admin", "x"),
    port: fc.integer({ min: -1, max: 70000 }),
  },
  { requiredKeys: [] },
);

/** Random bodies, random layers, and layers that decrypt to random or half-valid content. */
const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.uint8Array({ maxLength: 100 }), json).map(([p, j]) => encodeOnionLayer(p, j)),
  fc.tuple(fc.uint8Array({ maxLength: 100 }), routingLike).map(([p, j]) => encodeOnionLayer(p, j)),
  fc
    .tuple(fc.uint8Array({ maxLength: 120 }), fc.constantFrom("aes-gcm" as const, "xchacha20" as const))
    .map(([inner, encType]) => {
      const enc = onionSealLayer(inner, node.x25519, encType);
      return encodeOnionLayer(enc.ciphertext, {
        ephemeral_key: toHex(enc.ephemeralPublicKey),
        enc_type: encType,
      });
    }),
  fc
    .tuple(
      fc.uint8Array({ maxLength: 60 }),
      routingLike,
      fc.constantFrom("aes-gcm" as const, "xchacha20" as const),
    )
    .map(([payload, routing, encType]) => {
      // A genuinely decryptable layer whose inner routing is random: relays to unknown nodes,
      // disallowed targets, bad keys… (never a real server: ports are closed or refused).
      const inner = encodeOnionLayer(payload, { ...routing, host: "127.0.0.1", port: 1 });
      const enc = onionSealLayer(inner, node.x25519, encType);
      return encodeOnionLayer(enc.ciphertext, {
        ephemeral_key: toHex(enc.ephemeralPublicKey),
        enc_type: encType,
      });
    }),
  fc.uint8Array({ minLength: 4097, maxLength: 5000 }),
);

describe("onion property: no undocumented answers", () => {
  it("client endpoint: statuses are 200, 400, 413 or a relay failure (502/504) — never 500", async () => {
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const res = await postBytes(`${node.url}/onion_req/v2`, body);
        expect([200, 400, 413, 502, 504]).toContain(res.status);
        if (res.status === 502 || res.status === 504) {
          // only reachable through a decryptable layer that names a next hop
          expect(res.headers.get("x-session-error-code")).toMatch(/^(BAD_GATEWAY|GATEWAY_TIMEOUT)$/);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("relay endpoint: random and half-valid bencode → 200/400/413, never 500", async () => {
    const relayBodies = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .record({
          data: fc.uint8Array({ maxLength: 80 }),
          ephemeral_key: fc.uint8Array({ minLength: 30, maxLength: 33 }),
          enc_type: fc.constantFrom("aes-gcm", "xchacha20", "nope"),
          hop_no: fc.integer({ min: -3, max: 40 }),
        })
        .map((d) => bencode(d)),
    );
    await fc.assert(
      fc.asyncProperty(relayBodies, async (body) => {
        const res = await postBytes(`${node.url}/sn/onion_request`, body);
        expect([200, 400, 413]).toContain(res.status);
      }),
      { numRuns: 100 },
    );
  });

  it("the node still serves after all of that", async () => {
    const res = await postBytes(`${node.url}/onion_req/v2`, new Uint8Array([1, 2, 3]));
    expect(res.status).toBe(400);
  });
});
