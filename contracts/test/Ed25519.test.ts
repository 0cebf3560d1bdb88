import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, randomBytes } from "node:crypto";
import { expect } from "chai";
import { ethers } from "./fixtures.ts";

// RFC 8032 §7.1 TEST 1–3: secret seed, public key, message, signature.
const RFC8032 = [
  {
    pk: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    msg: "",
    sig: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    pk: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    msg: "72",
    sig: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    pk: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    msg: "af82",
    sig: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

const PKCS8_ED25519 = "302e020100300506032b657004220420";

function keyFromSeed(seed: Buffer) {
  const priv = createPrivateKey({
    key: Buffer.from(PKCS8_ED25519 + seed.toString("hex"), "hex"),
    format: "der",
    type: "pkcs8",
  });
  const pub = createPublicKey(priv).export({ format: "der", type: "spki" }).subarray(-32);
  return { priv, pub: `0x${pub.toString("hex")}` };
}

describe("Ed25519 (on-chain verifier)", () => {
  let lib: Awaited<ReturnType<typeof ethers.deployContract>>;
  before(async () => {
    lib = await ethers.deployContract("Ed25519Harness");
  });

  it("SHA-512 matches node:crypto across block boundaries", async () => {
    for (const len of [0, 3, 111, 112, 127, 128, 129, 300]) {
      const data = randomBytes(len);
      expect(await lib.getFunction("sha512")(data)).to.equal(
        `0x${createHash("sha512").update(data).digest("hex")}`,
      );
    }
  });

  it("accepts the RFC 8032 test vectors", async () => {
    for (const v of RFC8032) {
      expect(await lib.getFunction("verify")(`0x${v.pk}`, `0x${v.msg}`, `0x${v.sig}`)).to.equal(true);
    }
  });

  it("accepts fresh signatures and refuses any changed byte, key or message", async () => {
    for (let i = 0; i < 4; i++) {
      const { priv, pub } = keyFromSeed(randomBytes(32));
      const msg = randomBytes(50 + i * 60);
      const sig = nodeSign(null, msg, priv);
      const verify = lib.getFunction("verify");
      expect(await verify(pub, msg, sig)).to.equal(true);
      const badSig = Buffer.from(sig);
      badSig[i * 7] ^= 1;
      expect(await verify(pub, msg, badSig)).to.equal(false);
      const badMsg = Buffer.from(msg);
      badMsg[0] ^= 0x80;
      expect(await verify(pub, badMsg, sig)).to.equal(false);
      expect(await verify(keyFromSeed(randomBytes(32)).pub, msg, sig)).to.equal(false);
      expect(await verify(pub, msg, sig.subarray(0, 63))).to.equal(false);
    }
  });

  it("refuses S ≥ L (malleability), small-order keys and keys that are not points", async () => {
    const v = RFC8032[0]!;
    const verify = lib.getFunction("verify");
    // S + L encodes the same scalar mod L: libsodium refuses it, so do we.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const sLe = Buffer.from(v.sig.slice(64), "hex");
    const s = BigInt(`0x${Buffer.from(sLe).reverse().toString("hex")}`) + L;
    const sPlusL = Buffer.from(s.toString(16).padStart(64, "0"), "hex").reverse();
    expect(await verify(`0x${v.pk}`, "0x", `0x${v.sig.slice(0, 64)}${sPlusL.toString("hex")}`)).to.equal(
      false,
    );
    // The identity point (order 1) as a key, with R = identity and S = 0, passes the plain equation.
    const identity = `0x01${"00".repeat(31)}`;
    expect(await verify(identity, "0x1234", `${identity}${"00".repeat(32)}`)).to.equal(false);
    // y = 2 is not on the curve.
    expect(await verify(`0x02${"00".repeat(31)}`, "0x", `0x${v.sig}`)).to.equal(false);
  });
});
