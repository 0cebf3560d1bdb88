import {
  fromBase64,
  type OnionReplyKeys,
  onionSealLayer,
  toHex,
  utf8Decode,
  utf8Encode,
  x25519Keypair,
} from "@session/crypto";
import type { EncType } from "@session/protocol/onion";
import { openHopReply } from "@session/service-kit";
import { describe, expect, it } from "vitest";
import { threadStarter } from "../../test/helpers/crypto-thread.ts";
import type { CryptoThread } from "../crypto-thread.ts";
import { type HopCipher, nodeHopCipher } from "./hop-cipher.ts";
import { type OnionDeps, type OnionHopInput, processOnionHop } from "./process.ts";
import type { OnionReply } from "./reply.ts";
import { type OnionOpenThread, TurnOpens } from "./turn-opens.ts";

const started = threadStarter();

const node = x25519Keypair();

interface Layer {
  input: OnionHopInput;
  keys?: OnionReplyKeys;
}

/** Layers for `node` covering every open outcome: good, tampered, short, wrong key, refused keys. */
function layers(): Layer[] {
  const sealed = (encType: EncType, text: string, to = node.publicKey): Layer => {
    const l = onionSealLayer(utf8Encode(text), to, encType);
    return {
      input: { ciphertext: l.ciphertext, ephemeralKey: l.ephemeralPublicKey, encType, hopNo: 0 },
      keys: l.keys,
    };
  };
  const tampered = sealed("aes-gcm", "tampered");
  tampered.input.ciphertext[20]! ^= 1;
  const short = sealed("xchacha20", "short");
  short.input.ciphertext = short.input.ciphertext.subarray(0, 10);
  const withKey = (l: Layer, ephemeralKey: Uint8Array): Layer => ({ input: { ...l.input, ephemeralKey } });
  const lowOrderOne = new Uint8Array(32);
  lowOrderOne[0] = 1;
  return [
    sealed("aes-gcm", "first"),
    sealed("xchacha20", "second"),
    tampered,
    short,
    sealed("aes-gcm", "for another node", x25519Keypair().publicKey),
    // Low-order ephemeral keys (X25519 refuses them) and a key of the wrong length.
    withKey(sealed("aes-gcm", "zero key"), new Uint8Array(32)),
    withKey(sealed("xchacha20", "order-4 key"), lowOrderOne),
    withKey(sealed("xchacha20", "short key"), x25519Keypair().publicKey.subarray(0, 31)),
    sealed("xchacha20", "last"),
  ];
}

/** What a caller can observe of an open: the plaintext and what its seal's reply decrypts to, or the error. */
function outcome(layer: Layer, opened: Promise<{ plaintext: Uint8Array; seal(r: Uint8Array): Uint8Array }>) {
  return opened.then(
    (o) => {
      const reply = openHopReply(layer.input.encType, o.seal(utf8Encode("reply")), layer.keys!);
      return `ok ${utf8Decode(o.plaintext)} ${utf8Decode(reply)}`;
    },
    (err: Error & { code?: string }) => {
      const inner = err.cause as Error & { code?: string; cause?: Error & { code?: string } };
      return `${err.name} ${err.code} ${err.message} <- ${inner.code} <- ${inner.cause?.code} ${inner.cause?.message}`;
    },
  );
}

/** The node's cipher, counting the opens that do their own X25519 (`open`) and those that do not. */
function countingCipher() {
  const inner = nodeHopCipher(node);
  const counts = { open: 0, withShared: 0 };
  const cipher: HopCipher = {
    open: (...args) => {
      counts.open++;
      return inner.open(...args);
    },
    openWithSharedSecret: (...args) => {
      counts.withShared++;
      return inner.openWithSharedSecret(...args);
    },
  };
  return { cipher, counts };
}

/** `thread` with its X25519 batches counted, and optionally stopped just before the batch is posted. */
function spied(thread: CryptoThread, opts: { dieOnBatch?: boolean } = {}) {
  const seen = { batches: 0, keys: 0, closed: undefined as Promise<void> | undefined };
  const spy = Object.assign(Object.create(thread) as CryptoThread, {
    x25519: (sk: Uint8Array, pks: readonly Uint8Array[]) => {
      seen.batches++;
      seen.keys += pks.length;
      if (opts.dieOnBatch) seen.closed = thread.close();
      return thread.x25519(sk, pks);
    },
  });
  return { spy, seen };
}

const inlineOutcomes = async (ls: Layer[]) => {
  const opens = new TurnOpens();
  const cipher = nodeHopCipher(node);
  return Promise.all(ls.map((l) => outcome(l, opens.open(cipher, l.input))));
};

describe("TurnOpens", () => {
  it("gives every open the plaintext, seal and error of the inline open, with no X25519 on the event loop", async () => {
    const ls = layers();
    const expected = await inlineOutcomes(ls);
    expect(expected.filter((o) => o.startsWith("ok "))).toEqual([
      "ok first reply",
      "ok second reply",
      "ok last reply",
    ]);
    expect(expected[5]).toMatch(
      /^ProtocolError ONION_DECRYPT_FAILED Invalid ciphertext <- DECRYPT_FAILED <- INVALID_KEY .*low order/,
    );
    expect(expected[7]).toMatch(/<- INVALID_KEY X25519 public key must be 32 bytes$/);

    const { spy, seen } = spied(await started());
    const { cipher, counts } = countingCipher();
    const opens = new TurnOpens();
    const thread: OnionOpenThread = { thread: spy, x25519SecretKey: node.secretKey, minBatch: 1 };
    expect(await Promise.all(ls.map((l) => outcome(l, opens.open(cipher, l.input, thread))))).toEqual(
      expected,
    );
    expect(seen).toMatchObject({ batches: 1, keys: ls.length });
    expect(counts).toEqual({ open: 0, withShared: ls.length });
  });

  it("opens a turn smaller than minBatch (default 2) inline, and a larger one on the thread", async () => {
    const { spy, seen } = spied(await started());
    const { cipher, counts } = countingCipher();
    const opens = new TurnOpens();
    const thread: OnionOpenThread = { thread: spy, x25519SecretKey: node.secretKey };
    const [one, ...more] = layers();
    expect(await outcome(one!, opens.open(cipher, one!.input, thread))).toBe("ok first reply");
    expect(seen.batches).toBe(0);
    expect(counts).toEqual({ open: 1, withShared: 0 });
    await Promise.all(more.slice(0, 2).map((l) => outcome(l, opens.open(cipher, l.input, thread))));
    expect(seen.batches).toBe(1);
    expect(counts).toEqual({ open: 1, withShared: 2 });
  });

  it("opens inline when the thread dies with a batch in hand, and after", async () => {
    const t = await started();
    const ls = layers();
    const expected = await inlineOutcomes(ls);
    const { spy, seen } = spied(t, { dieOnBatch: true });
    const { cipher, counts } = countingCipher();
    const opens = new TurnOpens();
    const thread: OnionOpenThread = { thread: spy, x25519SecretKey: node.secretKey, minBatch: 1 };
    expect(await Promise.all(ls.map((l) => outcome(l, opens.open(cipher, l.input, thread))))).toEqual(
      expected,
    );
    expect(seen.batches).toBe(1);
    expect(counts).toEqual({ open: ls.length, withShared: 0 });
    await seen.closed;
    expect(t.usable).toBe(false);
    expect(await Promise.all(ls.map((l) => outcome(l, opens.open(cipher, l.input, thread))))).toEqual(
      expected,
    );
    expect(seen.batches).toBe(1);
    expect(counts).toEqual({ open: 2 * ls.length, withShared: 0 });
  });
});

describe("processOnionHop with OnionDeps.openThread", () => {
  /** Status, code and body (decrypted when sealed) of a reply. */
  const shown = (r: OnionReply, keys: OnionReplyKeys | undefined, encType: EncType) =>
    `${r.status} ${r.code} ${
      typeof r.body === "string" && r.status !== 200
        ? r.body
        : utf8Decode(openHopReply(encType, fromBase64(r.body as string), keys!))
    }`;
  const deps = (cipher: HopCipher, openThread?: OnionOpenThread) =>
    ({
      cipher,
      isReady: () => true,
      selfEd25519Hex: toHex(new Uint8Array(32)),
      ...(openThread ? { openThread } : {}),
    }) as unknown as OnionDeps;

  it("answers each layer of a turn as without the thread, the turn's X25519 done on the thread", async () => {
    // The layers decrypt to text that is no onion layer: answered encrypted ("Invalid json").
    const ls = layers();
    const run = (d: OnionDeps) =>
      Promise.all(ls.map(async (l) => shown(await processOnionHop(d, l.input), l.keys, l.input.encType)));
    const expected = await run(deps(nodeHopCipher(node)));
    expect(expected[0]).toMatch(/^200 ONION_BAD_LAYER .*Invalid json/);
    expect(expected[2]).toBe("400 ONION_DECRYPT_FAILED Invalid ciphertext");
    const { spy, seen } = spied(await started());
    const { cipher, counts } = countingCipher();
    expect(await run(deps(cipher, { thread: spy, x25519SecretKey: node.secretKey }))).toEqual(expected);
    expect(seen.batches).toBe(1);
    expect(counts.open).toBe(0);
  });
});
