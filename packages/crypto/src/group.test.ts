import { describe, expect, it } from "vitest";
import { fromHex, toHex, utf8Decode, utf8Encode } from "./bytes.ts";
import { configDecrypt, configEncrypt, configPaddedSize, padConfig, unpadConfig } from "./config-encrypt.ts";
import {
  decryptForMultiple,
  encryptForMultiple,
  groupSubaccountSign,
  groupSubaccountToken,
  makeGroupSubaccount,
} from "./group.ts";
import { sodium } from "./sodium.ts";

// Vectors from session-foundation/libsession-util tests/test_encrypt.cpp and test_multi_encrypt.cpp.
describe("libsession config encryption", () => {
  const key1 = fromHex("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  const key2 = fromHex("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  const msg = utf8Encode("some message 1");

  it("matches libsession's ciphertext and nonces", () => {
    const enc1 = configEncrypt(msg, key1, "test-suite1");
    expect(toHex(enc1)).toBe(
      "f14f242a26638f3305707d1035e734577f943cd7d28af58e32637e0966dcaf2f4860cb4d0f8ba7e09d29e31f5e4a18f65847287a54a0",
    );
    expect(toHex(configEncrypt(msg, key1, "test-suite2").subarray(-24))).toBe(
      "277e639d36ba46470dfff509a68cb73d9a96386c51739bdd",
    );
    expect(toHex(configEncrypt(msg, key2, "test-suite1").subarray(-24))).toBe(
      "af2f4860cb4d0f8ba7e09d29e31f5e4a18f65847287a54a0",
    );
    expect(utf8Decode(configDecrypt(enc1, key1, "test-suite1"))).toBe("some message 1");
    expect(() => configDecrypt(enc1, key1, "test-suite2")).toThrow(/decryption failed/);
    expect(() => configDecrypt(enc1, key2, "test-suite1")).toThrow(/decryption failed/);
    const broken = enc1.slice();
    broken[3] = 0x42;
    expect(() => configDecrypt(broken, key1, "test-suite1")).toThrow(/decryption failed/);
  });

  it("pads to libsession's size buckets", () => {
    const k = 1024;
    const cases: [number, number, number][] = [
      [1, 0, 256],
      [1, 10, 246],
      [246, 10, 246],
      [247, 10, 502],
      [247, 256, 256],
      [3839, 96, 4000],
      [3744, 96, 3744],
      [3745, 96, 4000],
      [4864, 0, 4864],
      [4865, 0, 5 * k],
      [5 * k + 1, 0, 6 * k],
      [9 * k + 1, 0, 10 * k],
      [20 * k + 1, 0, 22 * k],
      [38 * k + 1, 0, 40 * k],
      [40 * k + 1, 0, 45 * k],
      [70 * k + 1, 0, 75 * k],
      [75 * k - 24, 24, 75 * k - 24],
    ];
    for (const [s, o, want] of cases) expect(configPaddedSize(s, o), `${s}+${o}`).toBe(want);
    const padded = padConfig(utf8Encode("d1:#i1ee"));
    expect(padded.length + 40).toBe(256);
    expect(utf8Decode(unpadConfig(padded))).toBe("d1:#i1ee");
  });
});

function xKeys(seedHex: string) {
  const kp = sodium.crypto_sign_seed_keypair(fromHex(seedHex));
  return {
    sk: sodium.crypto_sign_ed25519_sk_to_curve25519(kp.privateKey),
    pk: sodium.crypto_sign_ed25519_pk_to_curve25519(kp.publicKey),
  };
}

describe("libsession encrypt_for_multiple", () => {
  const seeds = [
    "0123456789abcdef0123456789abcdef00000000000000000000000000000000",
    "0123456789abcdef000000000000000000000000000000000000000000000000",
    "0123456789abcdef111111111111111100000000000000000000000000000000",
    "0123456789abcdef222222222222222200000000000000000000000000000000",
    "0123456789abcdef333333333333333300000000000000000000000000000000",
  ];
  const x = seeds.map(xKeys);
  const nonce = fromHex("32ab4bb45d6df5cc14e1c330fb1a8b68ea3826a8c2213a49");

  it("encrypts for each recipient as libsession does; only recipients open it", () => {
    expect(toHex(x[0]!.pk)).toBe("d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72");
    const enc = encryptForMultiple(
      utf8Encode("hello"),
      x.slice(1, 4).map((k) => k.pk),
      nonce,
      x[0]!.sk,
      x[0]!.pk,
      "test suite",
    );
    expect(enc.map(toHex)).toEqual([
      "e64937e5ea201b84f4e88a976dad900d91caaf6a17",
      "b7a15bcd9f7b09445defcae2f1dc5085dd75cb085b",
      "01c4fc2156327735f3fb5063b11ea95f6ebcc5b6cc",
    ]);
    for (const i of [1, 2, 3]) {
      const m = decryptForMultiple(enc, nonce, x[i]!.sk, x[i]!.pk, x[0]!.pk, "test suite");
      expect(m && utf8Decode(m)).toBe("hello");
    }
    expect(decryptForMultiple(enc, nonce, x[3]!.sk, x[3]!.pk, x[0]!.pk, "not test suite")).toBeUndefined();
    expect(decryptForMultiple(enc, nonce, x[4]!.sk, x[4]!.pk, x[0]!.pk, "test suite")).toBeUndefined();
  });
});

describe("group subaccounts", () => {
  it("the member's blinded signature verifies against the token the admin signed and can revoke", () => {
    const group = sodium.crypto_sign_seed_keypair(
      fromHex("0123456789abcdeffedcba98765432100123456789abcdeffedcba9876543210"),
    );
    for (let i = 0; i < 8; i++) {
      // Both signs of the member's Ed25519 key occur across these seeds.
      const member = sodium.crypto_sign_seed_keypair(new Uint8Array(32).fill(i + 1));
      const mx = sodium.crypto_sign_ed25519_pk_to_curve25519(member.publicKey);
      const sv = makeGroupSubaccount(group.privateKey, mx, { write: true });
      expect(sv).toHaveLength(100);
      const msg = utf8Encode("retrieve111700000000000");
      const auth = groupSubaccountSign(member.privateKey, sv, msg);
      expect(auth.token[0]).toBe(0x03);
      expect(auth.token[1]).toBe(0b0011);
      expect(sodium.crypto_sign_verify_detached(auth.tokenSignature, auth.token, group.publicKey)).toBe(true);
      expect(sodium.crypto_sign_verify_detached(auth.signature, msg, auth.token.subarray(4))).toBe(true);
      // The admin computes the same token to revoke it, without the member's secret.
      expect(toHex(groupSubaccountToken(group.privateKey, mx, { write: true }))).toBe(toHex(auth.token));
      // Another member cannot use it.
      const other = sodium.crypto_sign_seed_keypair(new Uint8Array(32).fill(100 + i));
      const forged = groupSubaccountSign(other.privateKey, sv, msg);
      expect(sodium.crypto_sign_verify_detached(forged.tokenSignature, forged.token, group.publicKey)).toBe(
        false,
      );
    }
  });
});
