import { randomBytes } from "node:crypto";
import { blake2b, concatBytes, utf8Encode } from "@session/crypto";
import { onionV4TestClient } from "@session/service-kit/testing";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeHexOrBase64, parseAuthHeaders, signedMessage, signedPathOf } from "../src/auth/signature.ts";
import { type Harness, json, startHarness } from "./harness.ts";

describe("SOGS signed message", () => {
  const serverPk = new Uint8Array(32).fill(0xab);
  const nonce = new Uint8Array(16).fill(7);
  it("is server key ‖ nonce ‖ timestamp ‖ method ‖ path, plus BLAKE2b-64 of a non-empty body", () => {
    const body = utf8Encode('{"a":1}');
    expect(
      signedMessage({
        serverPk,
        nonce,
        timestampText: "1642080374",
        method: "POST",
        pathAndQuery: "/some/endpoint",
        body,
      }),
    ).toEqual(concatBytes(serverPk, nonce, utf8Encode("1642080374POST/some/endpoint"), blake2b(body, 64)));
    expect(
      signedMessage({
        serverPk,
        nonce,
        timestampText: "1",
        method: "GET",
        pathAndQuery: "/x",
        body: new Uint8Array(),
      }),
    ).toEqual(concatBytes(serverPk, nonce, utf8Encode("1GET/x")));
  });
  it("signs the percent-decoded path and the raw query only when present", () => {
    expect(signedPathOf("http://h/room/x/reaction/1/%F0%9F%8D%8D")).toBe("/room/x/reaction/1/🍍");
    expect(signedPathOf("http://h/capabilities?required=sogs")).toBe("/capabilities?required=sogs");
    expect(signedPathOf("http://h/capabilities?")).toBe("/capabilities");
  });
  it("property: any change to any signed field changes the message", () => {
    fc.assert(
      fc.property(
        fc.record({
          nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }),
          ts: fc.integer({ min: 0, max: 2 ** 40 }).map(String),
          method: fc.constantFrom("GET", "POST", "PUT", "DELETE"),
          path: fc.string({ minLength: 1 }).map((s) => `/${s}`),
          body: fc.uint8Array({ maxLength: 64 }),
        }),
        fc.integer({ min: 0, max: 4 }),
        (p, which) => {
          const base = {
            serverPk,
            nonce: p.nonce,
            timestampText: p.ts,
            method: p.method,
            pathAndQuery: p.path,
            body: p.body,
          };
          const changed: Parameters<typeof signedMessage>[0] = { ...base };
          if (which === 0) changed.nonce = p.nonce.map((b, i) => (i === 0 ? b ^ 1 : b));
          if (which === 1) changed.timestampText = `${p.ts}1`;
          if (which === 2) changed.method = p.method === "GET" ? "POST" : "GET";
          if (which === 3) changed.pathAndQuery = `${p.path}x`;
          if (which === 4) changed.body = concatBytes(p.body, Uint8Array.of(0));
          return Buffer.compare(signedMessage(base), signedMessage(changed)) !== 0;
        },
      ),
    );
  });
  it("property: header parsing never throws anything but its own error, and round-trips encodings", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.string(), { nil: undefined }), { minLength: 4, maxLength: 4 }),
        (vals) => {
          const names = ["X-SOGS-Pubkey", "X-SOGS-Nonce", "X-SOGS-Timestamp", "X-SOGS-Signature"];
          try {
            parseAuthHeaders((n) => vals[names.indexOf(n)]);
            return true;
          } catch (err) {
            return (err as Error).constructor.name === "AuthHeaderError";
          }
        },
      ),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const hex = Buffer.from(b).toString("hex");
        const b64 = Buffer.from(b).toString("base64");
        return (
          Buffer.compare(decodeHexOrBase64(hex, 16), b) === 0 &&
          Buffer.compare(decodeHexOrBase64(b64, 16), b) === 0 &&
          Buffer.compare(decodeHexOrBase64(b64.replace(/=+$/, ""), 16), b) === 0
        );
      }),
    );
  });
});

describe("request authentication on the server", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it("accepts a signed request and refuses a replayed nonce with 425", async () => {
    const a = h.member();
    const nonce = randomBytes(16);
    expect((await a.req("GET", "/room/lobby", undefined, { nonce })).status).toBe(200);
    const replay = await a.req("GET", "/room/lobby", undefined, { nonce });
    expect(replay.status).toBe(425);
    expect(await replay.text()).toBe("Invalid authentication: X-SOGS-Nonce cannot be reused");
  });
  it("refuses a timestamp outside ±24 h with 425", async () => {
    const a = h.member();
    const now = h.clock.now() / 1000;
    expect((await a.req("GET", "/rooms", undefined, { timestamp: now - 86_401 })).status).toBe(425);
    expect((await a.req("GET", "/rooms", undefined, { timestamp: now + 86_401 })).status).toBe(425);
    expect((await a.req("GET", "/rooms", undefined, { timestamp: now - 86_000 })).status).toBe(200);
  });
  it("refuses a bad signature with 401: wrong path, body, method or key", async () => {
    const a = h.member();
    const bad = await a.req("GET", "/rooms", undefined, { tamper: (m) => concatBytes(m, Uint8Array.of(1)) });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toBe("Invalid authentication: X-SOGS-Signature verification failed");
    // signed for one path, sent to another
    const headers = a.headers("GET", "/rooms", undefined);
    expect((await fetch(`${h.url}/capabilities`, { headers })).status).toBe(401);
    // body swapped after signing
    const body = utf8Encode(JSON.stringify({ data: "aGk=", signature: Buffer.alloc(64).toString("base64") }));
    const hdr = a.headers("POST", "/room/lobby/message", utf8Encode("{}"));
    expect((await fetch(`${h.url}/room/lobby/message`, { method: "POST", headers: hdr, body })).status).toBe(
      401,
    );
    // another member's key claimed
    const b = h.member();
    const forged = { ...a.headers("GET", "/rooms", undefined), "X-SOGS-Pubkey": b.blindedId };
    expect((await fetch(`${h.url}/rooms`, { headers: forged })).status).toBe(401);
  });
  it("refuses malformed headers with 400 and unblinded keys when blinding is required", async () => {
    const a = h.member();
    const good = a.headers("GET", "/rooms", undefined);
    const cases: Record<string, string>[] = [
      { ...good, "X-SOGS-Nonce": "short" },
      { ...good, "X-SOGS-Pubkey": `05${good["X-SOGS-Pubkey"]!.slice(2)}` },
      { ...good, "X-SOGS-Pubkey": `00${Buffer.from(a.keys.ed25519.publicKey).toString("hex")}` },
      { ...good, "X-SOGS-Timestamp": "soon" },
      { ...good, "X-SOGS-Signature": "abc" },
      { "X-SOGS-Pubkey": good["X-SOGS-Pubkey"]! },
    ];
    for (const headers of cases) expect((await fetch(`${h.url}/rooms`, { headers })).status).toBe(400);
    const missing = await fetch(`${h.url}/rooms`, { headers: { "X-SOGS-Pubkey": good["X-SOGS-Pubkey"]! } });
    expect(await missing.text()).toBe(
      "Invalid authentication headers: missing 3/4 required X-SOGS-* headers",
    );
  });
  it("refuses a globally banned user with 403 before checking the signature", async () => {
    const a = h.member();
    const admin = h.member();
    await admin.req("GET", "/rooms");
    const { setGlobalModerator } = await import("../src/domain/moderation.ts");
    const { userForTarget } = await import("../src/domain/users.ts");
    await setGlobalModerator(h.community.deps, await userForTarget(h.community.deps, admin.blindedId), {
      moderator: true,
      admin: true,
      visible: false,
    });
    await a.req("GET", "/rooms");
    expect((await admin.req("POST", `/user/${a.blindedId}/ban`, { global: true })).status).toBe(200);
    const res = await a.req("GET", "/rooms", undefined, { tamper: (m) => concatBytes(m, Uint8Array.of(1)) });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("Banned");
    expect((await admin.req("POST", `/user/${a.blindedId}/unban`, { global: true })).status).toBe(200);
    expect((await a.req("GET", "/rooms")).status).toBe(200);
  });
});

describe("unblinded keys when the server allows them", () => {
  it("a 00-prefixed Ed25519 key authenticates as its 05 Session ID", async () => {
    const h = await startHarness({ limits: { requireBlinded: false } });
    try {
      const a = h.member();
      const headers = {
        ...a.headers("GET", "/rooms", undefined),
        "X-SOGS-Pubkey": `00${Buffer.from(a.keys.ed25519.publicKey).toString("hex")}`,
      };
      // signed by the blinded key: refused
      expect((await fetch(`${h.url}/rooms`, { headers })).status).toBe(401);
      expect(await json(await fetch(`${h.url}/capabilities`))).toEqual({
        capabilities: ["reactions", "sogs"],
      });
    } finally {
      await h.close();
    }
  });
});

describe("rate limits", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  it("per blinded ID and room for posts, and per room for everyone; budgets refill", async () => {
    h = await startHarness({ rateLimits: { userPostsPerMinute: 2, roomPostsPerMinute: 3 } });
    const a = h.member();
    const b = h.member();
    expect((await a.post("lobby", "1")).status).toBe(201);
    expect((await a.post("lobby", "2")).status).toBe(201);
    const third = await a.post("lobby", "3");
    expect(third.status).toBe(429);
    expect((await b.post("lobby", "b1")).status).toBe(201);
    expect((await b.post("lobby", "b2")).status).toBe(429); // the room's budget of 3 is spent
    h.clock.advance(60_000);
    expect((await a.post("lobby", "4")).status).toBe(201);
  });
  it("per blinded ID for every request, and for DMs", async () => {
    h = await startHarness({ rateLimits: { userRequestsPerMinute: 3, userDmsPerMinute: 1 } });
    const a = h.member();
    const b = h.member();
    for (let i = 0; i < 3; i++) expect((await a.req("GET", "/rooms")).status).toBe(200);
    expect((await a.req("GET", "/rooms")).status).toBe(429);
    expect((await b.req("GET", "/rooms")).status).toBe(200);
    h.clock.advance(60_000);
    const msg = { message: Buffer.from("x").toString("base64") };
    expect((await a.req("POST", `/inbox/${b.blindedId}`, msg)).status).toBe(201);
    expect((await a.req("POST", `/inbox/${b.blindedId}`, msg)).status).toBe(429);
  });
});

describe("through the onion final hop", () => {
  it("signed requests work inside v4 onion requests, and direct access can be closed", async () => {
    const h = await startHarness({ directClientRoutes: false });
    try {
      const a = h.member();
      const client = onionV4TestClient(h.url, h.deps.keys.publicKey, "xchacha20");
      const body = utf8Encode(
        JSON.stringify({ data: "aGk=", signature: Buffer.alloc(64).toString("base64") }),
      );
      const post = await client.request(
        {
          method: "POST",
          endpoint: "/room/lobby/message",
          headers: { ...a.headers("POST", "/room/lobby/message", body), "Content-Type": "application/json" },
        },
        body,
      );
      expect(post.info.code).toBe(201);
      const poll = await client.request({
        method: "GET",
        endpoint: "/room/lobby/messages/since/0",
        headers: a.headers("GET", "/room/lobby/messages/since/0", undefined),
      });
      expect(JSON.parse(new TextDecoder().decode(poll.body))[0].session_id).toBe(a.blindedId);
      expect((await a.req("GET", "/rooms")).status).toBe(403);
      expect((await fetch(`${h.url}/health`)).status).toBe(200);
      const metrics = await (await fetch(`${h.url}/metrics`)).text();
      expect(metrics).toContain("community_posts_total 1");
      expect(metrics).not.toContain(a.blindedId);
    } finally {
      await h.close();
    }
  });
});
