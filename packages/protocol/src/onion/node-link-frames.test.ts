import { concatBytes } from "@session/crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  encodeLinkPeerRequest,
  encodeLinkReply,
  encodeLinkRequest,
  LINK_FRAME_OVERHEAD,
  type LinkFrame,
  LinkFrameReader,
  LinkFrameType,
} from "./node-link-frames.ts";

const join = (parts: Uint8Array[]) => concatBytes(...parts);

const frameArb = fc.oneof(
  fc.record({
    type: fc.constant(LinkFrameType.request),
    id: fc.nat({ max: 0xffffffff }),
    body: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    type: fc.constant(LinkFrameType.peer),
    id: fc.nat({ max: 0xffffffff }),
    auth: fc.record({
      pubkey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      timestamp: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
    }),
    body: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    type: fc.constant(LinkFrameType.reply),
    id: fc.nat({ max: 0xffffffff }),
    status: fc.integer({ min: 100, max: 999 }),
    contentType: fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
    body: fc.uint8Array({ maxLength: 300 }),
  }),
) as fc.Arbitrary<LinkFrame>;

const encode = (f: LinkFrame) =>
  join(
    f.type === LinkFrameType.request
      ? encodeLinkRequest(f.id, f.body)
      : f.type === LinkFrameType.peer
        ? encodeLinkPeerRequest(f.id, f.auth, f.body)
        : encodeLinkReply(f.id, f.status, f.contentType, f.body),
  );
/** Frames with their byte fields as plain arrays, for toEqual. */
const plain = (f: LinkFrame) =>
  f.type === LinkFrameType.peer
    ? {
        ...f,
        body: [...f.body],
        auth: { ...f.auth, pubkey: [...f.auth.pubkey], signature: [...f.auth.signature] },
      }
    : { ...f, body: [...f.body] };

describe("node link frames", () => {
  it("round-trip through the reader however the stream is cut", () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), fc.array(fc.nat({ max: 64 })), (frames, cuts) => {
        const stream = join(frames.map(encode));
        const reader = new LinkFrameReader(1 << 20);
        const got: LinkFrame[] = [];
        let at = 0;
        for (const c of cuts) {
          got.push(...reader.push(stream.subarray(at, Math.min(stream.length, at + c))));
          at = Math.min(stream.length, at + c);
        }
        got.push(...reader.push(stream.subarray(at)));
        expect(reader.pending).toBe(0);
        expect(got.map(plain)).toEqual(frames.map(plain));
      }),
    );
  });

  it("has the documented layout", () => {
    const [h, body] = encodeLinkReply(7, 502, "text/plain", new Uint8Array([0xaa]));
    expect([...h]).toEqual([
      ...[5 + 3 + 10 + 1, 0, 0, 0], // length of what follows
      2, // reply
      ...[7, 0, 0, 0],
      ...[0xf6, 0x01], // 502
      10,
      ...new TextEncoder().encode("text/plain"),
    ]);
    expect([...body]).toEqual([0xaa]);
    const [rh] = encodeLinkRequest(0x01020304, new Uint8Array(3));
    expect([...rh]).toEqual([8, 0, 0, 0, 1, 4, 3, 2, 1]);
    expect(rh.length).toBe(LINK_FRAME_OVERHEAD);
    const [ph] = encodeLinkPeerRequest(
      9,
      { pubkey: new Uint8Array(32).fill(1), timestamp: 0x0102030405, signature: new Uint8Array(64).fill(2) },
      new Uint8Array(2),
    );
    expect([...ph.subarray(0, 9)]).toEqual([5 + 104 + 2, 0, 0, 0, 3, 9, 0, 0, 0]);
    expect([...ph.subarray(9, 41)]).toEqual(new Array(32).fill(1));
    expect([...ph.subarray(41, 49)]).toEqual([5, 4, 3, 2, 1, 0, 0, 0]);
    expect([...ph.subarray(49)]).toEqual(new Array(64).fill(2));
  });

  it("refuses an oversized frame from its length field, before its payload arrives", () => {
    const reader = new LinkFrameReader(100);
    const [h] = encodeLinkRequest(1, new Uint8Array(200));
    expect(() => reader.push(h)).toThrow(expect.objectContaining({ code: "PAYLOAD_TOO_LARGE" }));
    // exactly at the limit is fine
    const ok = new LinkFrameReader(100);
    expect(ok.push(join(encodeLinkRequest(1, new Uint8Array(100 - LINK_FRAME_OVERHEAD))))).toHaveLength(1);
  });

  it("refuses malformed frames with BAD_REQUEST", () => {
    const bad = [
      new Uint8Array([4, 0, 0, 0, 1, 0, 0, 0]), // shorter than type + id
      new Uint8Array([5, 0, 0, 0, 9, 0, 0, 0, 0]), // unknown type
      new Uint8Array([6, 0, 0, 0, 2, 0, 0, 0, 0, 1]), // reply without status/type length
      new Uint8Array([8, 0, 0, 0, 2, 0, 0, 0, 0, 200, 0, 9]), // content type longer than the frame
      new Uint8Array([9, 0, 0, 0, 3, 0, 0, 0, 0, 1, 2, 3, 4]), // peer request without its auth
    ];
    for (const b of bad) {
      expect(() => new LinkFrameReader(1000).push(b)).toThrow(
        expect.objectContaining({ code: "BAD_REQUEST" }),
      );
    }
  });

  it("refuses to encode what the format cannot carry", () => {
    expect(() => encodeLinkRequest(-1, new Uint8Array())).toThrow();
    expect(() => encodeLinkRequest(2 ** 32, new Uint8Array())).toThrow();
    expect(() => encodeLinkReply(1, 99, "x", new Uint8Array())).toThrow();
    expect(() => encodeLinkReply(1, 200, "é", new Uint8Array())).toThrow();
    expect(() => encodeLinkReply(1, 200, "x".repeat(256), new Uint8Array())).toThrow();
    const auth = { pubkey: new Uint8Array(32), timestamp: 1, signature: new Uint8Array(64) };
    expect(() =>
      encodeLinkPeerRequest(1, { ...auth, pubkey: new Uint8Array(31) }, new Uint8Array()),
    ).toThrow();
    expect(() => encodeLinkPeerRequest(1, { ...auth, timestamp: -1 }, new Uint8Array())).toThrow();
  });
});
