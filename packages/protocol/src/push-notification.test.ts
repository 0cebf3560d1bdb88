import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bencode } from "./bencode.ts";
import { ProtocolError } from "./errors.ts";
import { decodePushNotification, encodePushNotification, type PushMessage } from "./push-notification.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const account = `05${"ab".repeat(32)}`;
const msg: PushMessage = {
  pubkey: account,
  hash: "sXSRfKzGyPVtmJqOfc2kQvVuJbAcFXtFLFsMKKXuKXk",
  namespace: 0,
  timestamp: 1750000000123,
  expiry: 1751209600123,
};

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return err instanceof ProtocolError ? err.code : `untyped ${String(err)}`;
  }
  return "no error";
}

describe("push notification plaintext (spns encrypt_notify_payload)", () => {
  it("without a body: a list holding the metadata dict, keys sorted", () => {
    expect(text(encodePushNotification(msg))).toBe(
      `ld1:#43:${msg.hash}1:@66:${account}1:ni0e1:ti1750000000123e1:zi1751209600123eee`,
    );
  });

  it("with a body: JSON metadata then the body bytes", () => {
    const data = new TextEncoder().encode("hi");
    const json = `{"@":"${account}","#":"${msg.hash}","n":0,"t":1750000000123,"z":1751209600123,"l":2}`;
    expect(text(encodePushNotification({ ...msg, data }))).toBe(`l${json.length}:${json}2:hie`);
  });

  it("a body over the limit is left out, flagged B=1 with its length", () => {
    const got = text(encodePushNotification({ ...msg, data: new Uint8Array(2501) }));
    expect(got).toContain("1:Bi1e");
    expect(got).toContain("1:li2501e");
    const decoded = decodePushNotification(encodePushNotification({ ...msg, data: new Uint8Array(2501) }));
    expect(decoded).toMatchObject({ tooBig: true, length: 2501 });
    expect(decoded.body).toBeUndefined();
  });

  it("decodes what it encodes, with or without zero padding", () => {
    fc.assert(
      fc.property(
        fc.record({
          namespace: fc.integer({ min: -32768, max: 32767 }),
          timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
          expiry: fc.integer({ min: 0, max: 2 ** 45 }),
          data: fc.option(fc.uint8Array({ maxLength: 3000 }), { nil: undefined }),
          pad: fc.nat(300),
        }),
        ({ pad, ...m }) => {
          const plain = encodePushNotification({ ...msg, ...m });
          const padded = new Uint8Array(plain.length + pad);
          padded.set(plain);
          const d = decodePushNotification(padded);
          const hasBody = (m.data?.length ?? 0) > 0;
          expect(d.account).toBe(account);
          expect(d.hash).toBe(msg.hash);
          expect([d.namespace, d.timestamp, d.expiry]).toEqual([m.namespace, m.timestamp, m.expiry]);
          expect(d.length).toBe(hasBody ? m.data!.length : undefined);
          expect(d.tooBig).toBe(hasBody && m.data!.length > 2500);
          expect(d.body ? [...d.body] : undefined).toEqual(
            hasBody && m.data!.length <= 2500 ? [...m.data!] : undefined,
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuses malformed plaintexts with BENCODE_INVALID", () => {
    const good = encodePushNotification(msg);
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array(256),
      Uint8Array.of(...good, 0x31),
      bencode("not a list"),
      bencode([]),
      bencode([{ "@": account }]),
      bencode([{ "#": msg.hash, "@": "05zz", n: 0 }]),
      bencode([{ "#": msg.hash, "@": account, n: "zero" }]),
      bencode(['{"@":1}', "body"]),
      bencode(["not json", "body"]),
      bencode([`{"@":"${account}","#":"${msg.hash}","n":0}`]),
      bencode([`{"@":"${account}","#":"${msg.hash}","n":0,"l":9}`, "body"]),
    ];
    for (const c of cases) expect(codeOf(() => decodePushNotification(c))).toBe("BENCODE_INVALID");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        const code = codeOf(() => decodePushNotification(b));
        return code === "BENCODE_INVALID" || code === "no error";
      }),
    );
  });
});
