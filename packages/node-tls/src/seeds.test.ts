import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeTlsError } from "./errors.ts";
import { certFingerprint, formatSeed, normalizeFingerprint, parseSeed, seedHttp } from "./seeds.ts";
import { selfSignedServer } from "./testing.ts";

let seed: Awaited<ReturnType<typeof selfSignedServer>>;
let other: Awaited<ReturnType<typeof selfSignedServer>>;
beforeAll(async () => {
  [seed, other] = await Promise.all([selfSignedServer('{"seed":1}'), selfSignedServer('{"other":1}')]);
});
afterAll(async () => {
  await Promise.all([seed.close(), other.close()]);
});

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as NodeTlsError).code;
  }
  return undefined;
};

describe("parseSeed", () => {
  const fp = "ab".repeat(32);
  const colons = "AB:".repeat(31) + "AB";

  it("reads the one-string form and normalizes the pin", () => {
    expect(parseSeed(`https://seed.example:4443/#sha256=${fp}`)).toEqual({
      url: "https://seed.example:4443",
      certSha256: colons,
    });
    expect(parseSeed({ url: "https://seed.example:4443", certSha256: colons.toLowerCase() }).certSha256).toBe(
      colons,
    );
    expect(parseSeed(formatSeed({ url: "https://s.example", certSha256: colons }))).toEqual({
      url: "https://s.example",
      certSha256: colons,
    });
  });

  it("keeps plain-http seeds (devnet) without a pin", () => {
    expect(parseSeed("http://127.0.0.1:22000/")).toEqual({ url: "http://127.0.0.1:22000" });
  });

  it("refuses an https seed without a pin, and malformed seeds", () => {
    expect(codeOf(() => parseSeed("https://seed.example:4443"))).toBe("SEED_NOT_PINNED");
    expect(codeOf(() => parseSeed({ url: "https://seed.example" }))).toBe("SEED_NOT_PINNED");
    expect(codeOf(() => parseSeed("seed.example:4443"))).toBe("BAD_SEED");
    expect(codeOf(() => parseSeed("ftp://seed.example"))).toBe("BAD_SEED");
    expect(codeOf(() => parseSeed("https://seed.example#sha256=abcd"))).toBe("BAD_SEED");
    expect(codeOf(() => parseSeed("https://seed.example#pin"))).toBe("BAD_SEED");
    expect(codeOf(() => parseSeed(`http://seed.example#sha256=${fp}`))).toBe("BAD_SEED");
    expect(codeOf(() => parseSeed(`https://seed.example?x=1#sha256=${fp}`))).toBe("BAD_SEED");
    expect(
      codeOf(() => parseSeed({ url: `https://seed.example#sha256=${fp}`, certSha256: "cd".repeat(32) })),
    ).toBe("BAD_SEED");
    expect(codeOf(() => normalizeFingerprint("zz".repeat(32)))).toBe("BAD_SEED");
  });
});

describe("seedHttp", () => {
  it("talks to a seed whose certificate matches its pin", async () => {
    const s = seedHttp([{ url: seed.url, certSha256: certFingerprint(seed.cert) }]);
    try {
      expect(await (await s.fetch(`${seed.url}/json_rpc`, { method: "POST" })).json()).toEqual({ seed: 1 });
    } finally {
      await s.close();
    }
  });

  it("refuses a seed whose certificate does not match its pin, before sending anything", async () => {
    // `other` serves its own certificate on seed.url's place: pin seed's, connect to other's.
    const s = seedHttp([{ url: other.url, certSha256: certFingerprint(seed.cert) }]);
    try {
      const err = await s.fetch(`${other.url}/json_rpc`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(NodeTlsError);
      expect((err as NodeTlsError).code).toBe("SEED_CERT_MISMATCH");
      expect((err as NodeTlsError).message).toContain(certFingerprint(other.cert));
    } finally {
      await s.close();
    }
  });

  it("reaches nothing but its seeds", async () => {
    const s = seedHttp([`${seed.url}#sha256=${certFingerprint(seed.cert)}`]);
    try {
      const err = await s.fetch(`${other.url}/json_rpc`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as NodeTlsError).code).toBe("NOT_A_SEED");
    } finally {
      await s.close();
    }
  });
});
