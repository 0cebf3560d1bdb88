import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  aesGcmEncrypt,
  blake2b,
  blind15Ids,
  blind25Id,
  CryptoError,
  decodeCheckedBase64,
  decryptAttachment,
  decryptIncoming,
  decryptPushPayload,
  ed25519PkToX25519,
  encryptAttachment,
  encryptedAttachmentSize,
  encryptForRecipient,
  encryptPushPayload,
  fromBase64,
  fromHex,
  generateSeed,
  isSessionId,
  keypairFromSeed,
  MAX_ATTACHMENT_SIZE,
  MAX_ATTACHMENT_UPLOAD_BYTES,
  mnemonicToSeed,
  ONION_ENC_TYPES,
  onionDecryptFromClient,
  onionDecryptResponse,
  onionEncryptForHop,
  onionEncryptResponse,
  onionHopServer,
  onionOpenReply,
  onionSealLayer,
  paddedAttachmentSize,
  padMessage,
  parseSessionId,
  seedToMnemonic,
  sessionIdMatchesBlinded,
  sign,
  toBase64,
  toHex,
  unpadMessage,
  verify,
  x25519Keypair,
  x25519SharedSecret,
  xchachaDecrypt,
  xchachaEncrypt,
} from "./index.ts";
import { sodium } from "./sodium.ts";

const bytes = (max = 512) => fc.uint8Array({ maxLength: max });
const seed16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

/** Runs `fn`; passes if it returns or throws a CryptoError, fails on any other exception. */
function onlyTypedErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    return e instanceof CryptoError;
  }
}

const alice = keypairFromSeed(fromHex("0123456789abcdef0123456789abcdef"));
const bob = keypairFromSeed(fromHex("00112233445566778899aabbccddeeff"));

describe("hex and base64", () => {
  it("round-trip any bytes", () => {
    fc.assert(fc.property(bytes(), (b) => toHex(fromHex(toHex(b))) === toHex(b)));
    fc.assert(fc.property(bytes(), (b) => toHex(fromBase64(toBase64(b))) === toHex(b)));
  });
  it("decodes checked base64 in every accepted form to exactly the bytes, in an array of its own", () => {
    const forms = (b: Uint8Array) => {
      const std = toBase64(b);
      const url = std.replace(/\+/g, "-").replace(/\//g, "_");
      return [std, std.replace(/=+$/, ""), url, url.replace(/=+$/, "")];
    };
    fc.assert(
      fc.property(bytes(), (b) =>
        forms(b).every((s) => {
          const out = decodeCheckedBase64(s);
          // Not a view of Node's shared Buffer pool: the array owns its whole buffer.
          return toHex(out) === toHex(b) && out.byteOffset === 0 && out.buffer.byteLength === b.length;
        }),
      ),
    );
  });
  it("reject malformed text with typed errors", () => {
    expect(() => fromHex("abc")).toThrow(CryptoError);
    expect(() => fromHex("zz")).toThrow(CryptoError);
    expect(() => fromBase64("a")).toThrow(CryptoError);
    fc.assert(fc.property(fc.string(), (s) => onlyTypedErrors(() => fromHex(s))));
    fc.assert(fc.property(fc.string(), (s) => onlyTypedErrors(() => fromBase64(s))));
  });
});

describe("session IDs", () => {
  it("parses every known prefix", () => {
    for (const p of ["05", "03", "15", "25", "00"]) {
      const id = p + "ab".repeat(32);
      expect(parseSessionId(id).publicKey.length).toBe(32);
      expect(isSessionId(id)).toBe(true);
    }
  });
  it("rejects bad length, non-hex and unknown prefixes with a clear code", () => {
    for (const bad of ["05", `05${"a".repeat(63)}`, `06${"ab".repeat(32)}`, `05${"zz".repeat(32)}`]) {
      expect(() => parseSessionId(bad)).toThrowError(expect.objectContaining({ code: "INVALID_SESSION_ID" }));
      expect(isSessionId(bad)).toBe(false);
    }
    fc.assert(fc.property(fc.string(), (s) => onlyTypedErrors(() => parseSessionId(s))));
  });
});

describe("keys and signatures", () => {
  it("sign/verify round trip; tampering fails; bad input never throws", () => {
    fc.assert(
      fc.property(bytes(), (msg) => {
        const sig = sign(msg, alice.ed25519.secretKey);
        const flipped = sig.slice();
        flipped[0] = flipped[0]! ^ 1;
        return (
          verify(sig, msg, alice.ed25519.publicKey) &&
          !verify(flipped, msg, alice.ed25519.publicKey) &&
          !verify(sig, msg, bob.ed25519.publicKey)
        );
      }),
    );
    expect(verify(new Uint8Array(3), new Uint8Array(0), alice.ed25519.publicKey)).toBe(false);
    expect(verify(new Uint8Array(64), new Uint8Array(0), new Uint8Array(5))).toBe(false);
  });
  it("rejects seeds of the wrong size", () => {
    expect(() => keypairFromSeed(new Uint8Array(20))).toThrowError(
      expect.objectContaining({ code: "INVALID_SEED" }),
    );
  });
  it("the X25519 key is the conversion of the Ed25519 key", () => {
    const k = keypairFromSeed(generateSeed());
    expect(toHex(ed25519PkToX25519(k.ed25519.publicKey))).toBe(toHex(k.x25519.publicKey));
  });
});

describe("recovery phrase", () => {
  it("13 words; round-trips any 16-byte seed", () => {
    fc.assert(
      fc.property(seed16, (s) => {
        const phrase = seedToMnemonic(s);
        return phrase.split(" ").length === 13 && toHex(mnemonicToSeed(phrase)) === toHex(s);
      }),
    );
  });
  it("accepts upper case, extra spaces and 3-letter prefixes", () => {
    const s = fromHex("00112233445566778899aabbccddeeff");
    const phrase = seedToMnemonic(s);
    const prefixes = phrase
      .split(" ")
      .map((w) => w.slice(0, 3))
      .join("   ");
    expect(toHex(mnemonicToSeed(` ${phrase.toUpperCase()} `))).toBe(toHex(s));
    expect(toHex(mnemonicToSeed(prefixes))).toBe(toHex(s));
  });
  it("reports a wrong checksum word, an unknown word and a wrong length", () => {
    const words = seedToMnemonic(fromHex("00112233445566778899aabbccddeeff")).split(" ");
    const wrongChecksum = [...words.slice(0, 12), words[12] === "abbey" ? "zoom" : "abbey"].join(" ");
    expect(() => mnemonicToSeed(wrongChecksum)).toThrowError(
      expect.objectContaining({ code: "MNEMONIC_CHECKSUM" }),
    );
    const unknown = ["qwerty", ...words.slice(1)].join(" ");
    expect(() => mnemonicToSeed(unknown)).toThrowError(
      expect.objectContaining({ code: "MNEMONIC_UNKNOWN_WORD", message: expect.stringContaining("qwerty") }),
    );
    expect(() => mnemonicToSeed(words.slice(0, 12).join(" "))).toThrowError(
      expect.objectContaining({ code: "MNEMONIC_BAD_LENGTH" }),
    );
    fc.assert(fc.property(fc.string(), (s) => onlyTypedErrors(() => mnemonicToSeed(s))));
  });
  it("a restored phrase gives the same Session ID", () => {
    const s = generateSeed().slice(0, 16);
    expect(keypairFromSeed(mnemonicToSeed(seedToMnemonic(s))).sessionId).toBe(keypairFromSeed(s).sessionId);
  });
});

describe("session protocol encryption", () => {
  it("round-trips and identifies the sender", () => {
    fc.assert(
      fc.property(bytes(2048), (msg) => {
        const ct = encryptForRecipient(alice.ed25519.secretKey, bob.sessionId, msg);
        const out = decryptIncoming(bob.ed25519.secretKey, ct);
        return toHex(out.plaintext) === toHex(msg) && out.senderSessionId === alice.sessionId;
      }),
      { numRuns: 50 },
    );
  });
  it("is randomised (two encryptions differ)", () => {
    const m = new Uint8Array([1, 2, 3]);
    expect(toHex(encryptForRecipient(alice.ed25519.secretKey, bob.sessionId, m))).not.toBe(
      toHex(encryptForRecipient(alice.ed25519.secretKey, bob.sessionId, m)),
    );
  });
  it("rejects tampering, the wrong recipient and garbage with typed errors", () => {
    const ct = encryptForRecipient(alice.ed25519.secretKey, bob.sessionId, new Uint8Array(10));
    const broken = ct.slice();
    broken[60] = broken[60]! ^ 0x02;
    expect(() => decryptIncoming(bob.ed25519.secretKey, broken)).toThrowError(
      expect.objectContaining({ code: "DECRYPT_FAILED" }),
    );
    expect(() => decryptIncoming(alice.ed25519.secretKey, ct)).toThrow(CryptoError);
    fc.assert(
      fc.property(bytes(300), (b) => onlyTypedErrors(() => decryptIncoming(bob.ed25519.secretKey, b))),
    );
  });
  it("rejects a non-05 recipient", () => {
    expect(() =>
      encryptForRecipient(alice.ed25519.secretKey, `15${"ab".repeat(32)}`, new Uint8Array(1)),
    ).toThrow(CryptoError);
  });
});

describe("message padding", () => {
  it("pads to 160-byte buckets minus one and unpads exactly", () => {
    fc.assert(
      fc.property(bytes(1000), (m) => {
        const p = padMessage(m);
        return (p.length + 1) % 160 === 0 && p.length > m.length && toHex(unpadMessage(p)) === toHex(m);
      }),
    );
    expect(padMessage(new Uint8Array(158)).length).toBe(159);
    expect(padMessage(new Uint8Array(159)).length).toBe(319);
  });
  it("all-zero input is invalid padding", () => {
    expect(() => unpadMessage(new Uint8Array(5))).toThrowError(
      expect.objectContaining({ code: "INVALID_PADDING" }),
    );
  });
});

describe("onion hop encryption", () => {
  for (const encType of ONION_ENC_TYPES) {
    it(`${encType}: onionHopServer opens a sealed layer and seals the reply with the same hop key`, () => {
      const node = x25519Keypair();
      const server = onionHopServer(node);
      fc.assert(
        fc.property(bytes(), bytes(), (m, answer) => {
          const layer = onionSealLayer(m, node.publicKey, encType);
          const opened = server.open(encType, layer.ciphertext, layer.ephemeralPublicKey);
          const oneOff = onionEncryptResponse(encType, answer, node, layer.ephemeralPublicKey);
          return (
            toHex(opened.plaintext) === toHex(m) &&
            toHex(onionOpenReply(encType, opened.seal(answer), layer.keys)) === toHex(answer) &&
            toHex(onionOpenReply(encType, oneOff, layer.keys)) === toHex(answer)
          );
        }),
        { numRuns: 30 },
      );
      const layer = onionSealLayer(new Uint8Array(4), node.publicKey, encType);
      const failures = [
        () => onionHopServer(x25519Keypair()).open(encType, layer.ciphertext, layer.ephemeralPublicKey),
        () => server.open(encType, layer.ciphertext.subarray(0, 10), layer.ephemeralPublicKey),
        // A low-order (all-zero) ephemeral key: X25519 refuses it; still DECRYPT_FAILED.
        () => server.open(encType, layer.ciphertext, new Uint8Array(32)),
      ];
      for (const f of failures) expect(f).toThrowError(expect.objectContaining({ code: "DECRYPT_FAILED" }));
    });

    it(`${encType}: openWithSharedSecret opens and fails exactly as open, given X25519's result`, () => {
      const node = x25519Keypair();
      const server = onionHopServer(node);
      const shared = (pk: Uint8Array) => x25519SharedSecret(node.secretKey, pk);
      fc.assert(
        fc.property(bytes(), bytes(), (m, answer) => {
          const layer = onionSealLayer(m, node.publicKey, encType);
          const pk = layer.ephemeralPublicKey;
          const opened = server.openWithSharedSecret(encType, layer.ciphertext, pk, shared(pk));
          return (
            toHex(opened.plaintext) === toHex(m) &&
            toHex(onionOpenReply(encType, opened.seal(answer), layer.keys)) === toHex(answer)
          );
        }),
        { numRuns: 30 },
      );
      const layer = onionSealLayer(new Uint8Array(4), node.publicKey, encType);
      const pk = layer.ephemeralPublicKey;
      const errorOf = (f: () => unknown) => {
        try {
          f();
        } catch (err) {
          const e = err as CryptoError;
          return `${e.code} ${e.message} <- ${(e.cause as CryptoError).code} ${(e.cause as Error).message}`;
        }
        throw new Error("opened");
      };
      const cases: [() => unknown, () => unknown][] = [
        [
          () => server.open(encType, layer.ciphertext.subarray(0, 10), pk),
          () => server.openWithSharedSecret(encType, layer.ciphertext.subarray(0, 10), pk, shared(pk)),
        ],
        [
          () => onionHopServer(x25519Keypair()).open(encType, layer.ciphertext, pk),
          () => server.openWithSharedSecret(encType, layer.ciphertext, pk, new Uint8Array(32).fill(7)),
        ],
        // X25519 refuses a low-order key: the thread that computed it answers null.
        [
          () => server.open(encType, layer.ciphertext, new Uint8Array(32)),
          () => server.openWithSharedSecret(encType, layer.ciphertext, new Uint8Array(32), null),
        ],
        [
          () => server.open(encType, layer.ciphertext, pk.subarray(0, 31)),
          () => server.openWithSharedSecret(encType, layer.ciphertext, pk.subarray(0, 31), null),
        ],
      ];
      for (const [inline, given] of cases) {
        expect(errorOf(given)).toBe(errorOf(inline));
        expect(errorOf(given)).toMatch(/^DECRYPT_FAILED /);
      }
      expect(errorOf(cases[2]![1])).toMatch(/low order/);
      expect(() =>
        server.openWithSharedSecret(encType, layer.ciphertext, pk, shared(pk).subarray(1)),
      ).toThrowError(expect.objectContaining({ code: "DECRYPT_FAILED" }));
    });

    it(`${encType}: request and reply round-trip; wrong key and garbage fail typed`, () => {
      const node = x25519Keypair();
      fc.assert(
        fc.property(bytes(), (m) => {
          const eph = x25519Keypair();
          const layer = onionEncryptForHop(encType, m, eph, node.publicKey);
          const opened = onionDecryptFromClient(encType, layer, node, eph.publicKey);
          const reply = onionEncryptResponse(encType, m, node, eph.publicKey);
          return (
            toHex(opened) === toHex(m) &&
            toHex(onionDecryptResponse(encType, reply, eph, node.publicKey)) === toHex(m)
          );
        }),
        { numRuns: 50 },
      );
      const eph = x25519Keypair();
      const layer = onionEncryptForHop(encType, new Uint8Array(5), eph, node.publicKey);
      expect(() => onionDecryptFromClient(encType, layer, x25519Keypair(), eph.publicKey)).toThrowError(
        expect.objectContaining({ code: "DECRYPT_FAILED" }),
      );
      fc.assert(
        fc.property(bytes(100), (b) =>
          onlyTypedErrors(() => onionDecryptFromClient(encType, b, node, eph.publicKey)),
        ),
      );
    });

    it(`${encType}: onionSealLayer uses a fresh ephemeral key the node can open; onionOpenReply reads the reply`, () => {
      const node = x25519Keypair();
      fc.assert(
        fc.property(bytes(), bytes(), (m, answer) => {
          const a = onionSealLayer(m, node.publicKey, encType);
          const b = onionSealLayer(m, node.publicKey, encType);
          const opened = onionDecryptFromClient(encType, a.ciphertext, node, a.ephemeralPublicKey);
          const reply = onionEncryptResponse(encType, answer, node, a.ephemeralPublicKey);
          return (
            toHex(a.ephemeralPublicKey) !== toHex(b.ephemeralPublicKey) &&
            toHex(a.keys.recipientX25519) === toHex(node.publicKey) &&
            toHex(opened) === toHex(m) &&
            toHex(onionOpenReply(encType, reply, a.keys)) === toHex(answer)
          );
        }),
        { numRuns: 30 },
      );
      const sealed = onionSealLayer(new Uint8Array(3), node.publicKey, encType);
      const foreign = onionEncryptResponse(
        encType,
        new Uint8Array(3),
        x25519Keypair(),
        sealed.ephemeralPublicKey,
      );
      expect(() => onionOpenReply(encType, foreign, sealed.keys)).toThrowError(
        expect.objectContaining({ code: "DECRYPT_FAILED" }),
      );
    });
  }
});

describe("blinding", () => {
  it("blinded IDs match their Session ID only on their server", () => {
    const server = "ab".repeat(32);
    const other = "cd".repeat(32);
    const id25 = blind25Id(alice.sessionId, server);
    expect(sessionIdMatchesBlinded(alice.sessionId, id25, server)).toBe(true);
    expect(sessionIdMatchesBlinded(alice.sessionId, id25, other)).toBe(false);
    expect(sessionIdMatchesBlinded(bob.sessionId, id25, server)).toBe(false);
    const [p, n] = blind15Ids(alice.sessionId, server);
    expect(p.startsWith("15") && n.startsWith("15")).toBe(true);
    expect(() => blind25Id(`15${"ab".repeat(32)}`, server)).toThrow(CryptoError);
  });
});

describe("attachments", () => {
  it("encrypt/decrypt round trip with digest and size; padded length is a bucket", () => {
    fc.assert(
      fc.property(bytes(5000), (m) => {
        const e = encryptAttachment(m);
        const out = decryptAttachment(e.ciphertext, e.key, e.digest, e.size);
        return toHex(out) === toHex(m) && e.ciphertext.length >= paddedAttachmentSize(m.length) + 16 + 32;
      }),
      { numRuns: 30 },
    );
    expect(paddedAttachmentSize(1)).toBe(541);
  });
  it("size edge: every plaintext up to MAX_ATTACHMENT_SIZE encrypts to at most the upload limit; larger is refused", () => {
    expect(MAX_ATTACHMENT_SIZE).toBe(9_999_951);
    // 9 828 080 … 10 000 000 used to pad to 10 000 000 and encrypt to 10 000 064 (413 after upload).
    for (const size of [9_828_079, 9_828_080, 9_900_000, MAX_ATTACHMENT_SIZE - 1, MAX_ATTACHMENT_SIZE]) {
      const padded = paddedAttachmentSize(size);
      expect(padded).toBeGreaterThanOrEqual(size);
      expect(encryptedAttachmentSize(padded)).toBeLessThanOrEqual(MAX_ATTACHMENT_UPLOAD_BYTES);
    }
    const big = encryptAttachment(new Uint8Array(MAX_ATTACHMENT_SIZE).fill(1));
    expect(big.ciphertext.length).toBe(MAX_ATTACHMENT_UPLOAD_BYTES);
    expect(decryptAttachment(big.ciphertext, big.key, big.digest, big.size).length).toBe(MAX_ATTACHMENT_SIZE);
    const edge = encryptAttachment(new Uint8Array(9_828_080));
    expect(edge.ciphertext.length).toBeLessThanOrEqual(MAX_ATTACHMENT_UPLOAD_BYTES);
    expect(() => encryptAttachment(new Uint8Array(MAX_ATTACHMENT_SIZE + 1))).toThrowError(
      expect.objectContaining({ code: "INVALID_INPUT", message: expect.stringContaining("9999951") }),
    );
  }, 30_000);
  it("rejects a wrong digest, a flipped bit and a wrong key", () => {
    const e = encryptAttachment(new Uint8Array(100).fill(7));
    const wrong = e.digest.slice();
    wrong[0] = wrong[0]! ^ 1;
    expect(() => decryptAttachment(e.ciphertext, e.key, wrong)).toThrowError(
      expect.objectContaining({ code: "DECRYPT_FAILED" }),
    );
    const flipped = e.ciphertext.slice();
    flipped[20] = flipped[20]! ^ 1;
    expect(() => decryptAttachment(flipped, e.key)).toThrowError(
      expect.objectContaining({ code: "DECRYPT_FAILED" }),
    );
    expect(() => decryptAttachment(e.ciphertext, new Uint8Array(64))).toThrow(CryptoError);
    fc.assert(fc.property(bytes(200), (b) => onlyTypedErrors(() => decryptAttachment(b, e.key))));
  });
});

describe("push payloads", () => {
  it("pads to 256 bytes, round-trips and rejects the wrong key", () => {
    const key = generateSeed();
    fc.assert(
      fc.property(bytes(1000), (m) => {
        const ct = encryptPushPayload(key, m);
        const out = decryptPushPayload(key, ct);
        return (
          out.length % 256 === 0 && toHex(out.slice(0, m.length)) === toHex(m) && out.length - m.length < 256
        );
      }),
      { numRuns: 50 },
    );
    const ct = encryptPushPayload(key, new Uint8Array(3));
    expect(() => decryptPushPayload(generateSeed(), ct)).toThrowError(
      expect.objectContaining({ code: "DECRYPT_FAILED" }),
    );
  });
});

describe("native libsodium (sodium-native) against the WASM build", () => {
  it("gives the same signatures, verdicts, shared secrets, hashes and ciphertexts", () => {
    fc.assert(
      fc.property(bytes(), fc.integer({ min: 16, max: 64 }), (m, outLen) => {
        const s = sign(m, alice.ed25519.secretKey);
        const e = x25519Keypair();
        const key = blake2b(m, 32);
        const sealed = xchachaEncrypt(key, m);
        return (
          toHex(s) === toHex(sodium.crypto_sign_detached(m, alice.ed25519.secretKey)) &&
          verify(s, m, alice.ed25519.publicKey) &&
          !verify(s, m, bob.ed25519.publicKey) &&
          toHex(x25519SharedSecret(e.secretKey, bob.x25519.publicKey)) ===
            toHex(sodium.crypto_scalarmult(e.secretKey, bob.x25519.publicKey)) &&
          toHex(blake2b(m, outLen)) === toHex(sodium.crypto_generichash(outLen, m, null)) &&
          toHex(blake2b(m, outLen, key)) === toHex(sodium.crypto_generichash(outLen, m, key)) &&
          toHex(blake2b(m, outLen, key.subarray(0, 5))) ===
            toHex(sodium.crypto_generichash(outLen, m, key.subarray(0, 5))) &&
          toHex(
            sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
              null,
              sealed.subarray(24),
              null,
              sealed.subarray(0, 24),
              key,
            ),
          ) === toHex(m) &&
          toHex(xchachaDecrypt(key, sealed)) === toHex(m)
        );
      }),
      { numRuns: 40 },
    );
  });

  it("rejects what libsodium rejects: non-canonical S, small-order keys, low-order X25519 points", () => {
    const m = new TextEncoder().encode("m");
    const s = sign(m, alice.ed25519.secretKey);
    // S + L (the group order) is the same scalar mod L but not canonical: libsodium refuses it.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let S = 0n;
    for (let i = 31; i >= 0; i--) S = (S << 8n) | BigInt(s[32 + i]!);
    const bumped = s.slice();
    let v = S + L;
    for (let i = 0; i < 32; i++) {
      bumped[32 + i] = Number(v & 0xffn);
      v >>= 8n;
    }
    expect(verify(s, m, alice.ed25519.publicKey)).toBe(true);
    expect(sodium.crypto_sign_verify_detached(bumped, m, alice.ed25519.publicKey)).toBe(false);
    expect(verify(bumped, m, alice.ed25519.publicKey)).toBe(false);
    // The identity point as a public key is of small order.
    const identity = new Uint8Array(32);
    identity[0] = 1;
    expect(verify(s, m, identity)).toBe(false);
    expect(() => x25519SharedSecret(x25519Keypair().secretKey, new Uint8Array(32))).toThrowError(
      expect.objectContaining({ code: "INVALID_KEY" }),
    );
  });
});

describe("AEAD nonces", () => {
  it("never repeat, across several refills of the nonce pool", () => {
    const key = generateSeed();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const x = toHex(xchachaEncrypt(key, new Uint8Array(1)).subarray(0, 24));
      const a = toHex(aesGcmEncrypt(key, new Uint8Array(1)).subarray(0, 12));
      expect(x).not.toBe("00".repeat(24));
      seen.add(x).add(a);
    }
    expect(seen.size).toBe(2000); // 36 KB of nonces: the 4 KiB pool refilled nine times
  });
});
