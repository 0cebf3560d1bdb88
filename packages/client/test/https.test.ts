import { certFingerprint } from "@session/node-tls";
import { selfSignedServer } from "@session/node-tls/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientError, createIdentity, SessionClient } from "../src/index.ts";

// A seed answering a one-node list, and another self-signed server (an impostor / a non-node host).
const node = {
  pubkey_ed25519: "11".repeat(32),
  pubkey_x25519: "22".repeat(32),
  public_ip: "127.0.0.1",
  storage_port: 9,
  swarm_id: "0",
};
let seed: Awaited<ReturnType<typeof selfSignedServer>>;
let other: Awaited<ReturnType<typeof selfSignedServer>>;
beforeAll(async () => {
  const list = JSON.stringify({ result: { service_node_states: [node] } });
  [seed, other] = await Promise.all([selfSignedServer(list), selfSignedServer(list)]);
});
afterAll(async () => {
  await Promise.all([seed.close(), other.close()]);
});

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string; cause?: { code?: string } },
  );

describe("SDK over HTTPS: pinned seeds, node-only dispatcher", () => {
  it("bootstraps from an https seed that shows its pinned certificate", async () => {
    const c = new SessionClient({
      identity: createIdentity(),
      seeds: [`${seed.url}#sha256=${certFingerprint(seed.cert)}`],
    });
    try {
      expect(await c.connect()).toEqual([node]);
    } finally {
      await c.close();
    }
  });

  it("refuses a seed whose certificate does not match its pin, without sending it anything", async () => {
    const before = other.requests;
    const c = new SessionClient({
      identity: createIdentity(),
      seeds: [{ url: other.url, certSha256: certFingerprint(seed.cert) }],
    });
    try {
      const err = await rejection(c.connect());
      expect(err).toBeInstanceOf(ClientError);
      expect(err?.code).toBe("NETWORK_UNAVAILABLE");
      expect(err?.message).toMatch(/does not match its pin/);
      expect(other.requests).toBe(before);
    } finally {
      await c.close();
    }
  });

  it("refuses an https seed given without a pin", () => {
    expect(() => new SessionClient({ identity: createIdentity(), seeds: [seed.url] })).toThrow(
      expect.objectContaining({ code: "BAD_SEED", message: expect.stringMatching(/#sha256=/) }),
    );
  });

  it("leaves the process's own fetch certificate-checked (the node dispatcher is not global)", async () => {
    const c = new SessionClient({
      identity: createIdentity(),
      seeds: [`${seed.url}#sha256=${certFingerprint(seed.cert)}`],
    });
    try {
      await c.connect(); // the client's node and seed dispatchers exist and have been used
      const before = other.requests;
      const err = await rejection(fetch(other.url));
      expect(err?.cause?.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
      expect(other.requests).toBe(before);
    } finally {
      await c.close();
    }
  });
});
