// Prints ops/s for the primitives the node and clients spend their time in: the package's own
// functions (native libsodium where it has them) beside libsodium's WASM build.
import {
  encryptForRecipient,
  keypairFromSeed,
  onionDecryptFromClient,
  onionEncryptForHop,
  randomBytesArray,
  sign,
  verify,
  x25519Keypair,
  x25519SharedSecret,
  xchachaDecrypt,
  xchachaEncrypt,
} from "../src/index.ts";
import { sodium } from "../src/sodium.ts";

function bench(name: string, fn: () => void, minMs = 700): number {
  for (let i = 0; i < 50; i++) fn();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    elapsed = performance.now() - start;
  }
  const ops = (n / elapsed) * 1000;
  console.log(`${name.padEnd(44)} ${ops.toFixed(0).padStart(10)} ops/s`);
  return ops;
}

const a = keypairFromSeed(randomBytesArray(32));
const b = keypairFromSeed(randomBytesArray(32));
const msg = randomBytesArray(256);
const sig = sign(msg, a.ed25519.secretKey);
const eph = x25519Keypair();
const node = x25519Keypair();
const layer1k = randomBytesArray(1024);
const layers = {
  "aes-gcm": onionEncryptForHop("aes-gcm", layer1k, eph, node.publicKey),
  xchacha20: onionEncryptForHop("xchacha20", layer1k, eph, node.publicKey),
};
const key = randomBytesArray(32);
const big = randomBytesArray(64 * 1024);
const bigCt = xchachaEncrypt(key, big);

console.log("packages/crypto benchmark (single core)");
bench("ed25519 sign 256 B (native)", () => sign(msg, a.ed25519.secretKey));
bench("ed25519 sign 256 B (WASM)", () => sodium.crypto_sign_detached(msg, a.ed25519.secretKey));
bench("ed25519 verify 256 B (native)", () => verify(sig, msg, a.ed25519.publicKey));
bench("ed25519 verify 256 B (WASM)", () => sodium.crypto_sign_verify_detached(sig, msg, a.ed25519.publicKey));
bench("x25519 scalarmult (native)", () => x25519SharedSecret(eph.secretKey, node.publicKey));
bench("x25519 scalarmult (WASM)", () => sodium.crypto_scalarmult(eph.secretKey, node.publicKey));
bench("session encrypt (sign + box_seal) 256 B", () =>
  encryptForRecipient(a.ed25519.secretKey, b.sessionId, msg),
);
for (const t of ["aes-gcm", "xchacha20"] as const) {
  bench(`onion layer encrypt 1 KiB (${t})`, () => onionEncryptForHop(t, layer1k, eph, node.publicKey));
  bench(`onion layer decrypt 1 KiB (${t})`, () => onionDecryptFromClient(t, layers[t], node, eph.publicKey));
}
const enc = bench("xchacha20-poly1305 encrypt 64 KiB", () => xchachaEncrypt(key, big), 500);
bench("xchacha20-poly1305 decrypt 64 KiB", () => xchachaDecrypt(key, bigCt), 500);
console.log(`  (64 KiB AEAD throughput ≈ ${((enc * 64) / 1024).toFixed(0)} MiB/s)`);
