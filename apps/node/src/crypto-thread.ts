import { Worker } from "node:worker_threads";
import { sodiumNativePath } from "@session/crypto";

/*
 * The node's heavy per-request cryptography on a thread of its own: request signature checks
 * (Ed25519 verify, about a third of a signed retrieve's CPU) and the X25519 of onion layer opens
 * (most of a hop's). The event loop is the node's one serial resource: moved here, a turn's
 * crypto runs on the other core while the event loop parses, queries and answers. The thread runs
 * native libsodium's crypto_sign_verify_detached and crypto_scalarmult, as `@session/crypto`
 * `verify` and `x25519SharedSecret` do on the event loop, so a signature or key is accepted or
 * refused the same way on either.
 *
 * One message per batch each way, the batch packed into one transferred buffer:
 * - verify: [u32 count] then per check [u32 message length][64 signature][32 key][message];
 *   answer one byte per check (1 valid, 0 not);
 * - x25519: [32 secret key] then the 32-byte public keys; answer per key [u8 ok][32 shared]
 *   (ok 0: libsodium refused the key, a low-order point).
 */

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const sodium = require(workerData.sodium);
function verify(buf) {
  const bytes = new Uint8Array(buf);
  const view = new DataView(buf);
  const n = view.getUint32(0, true);
  const out = new Uint8Array(n);
  let off = 4;
  for (let i = 0; i < n; i++) {
    const len = view.getUint32(off, true);
    const sig = bytes.subarray(off + 4, off + 68);
    const pk = bytes.subarray(off + 68, off + 100);
    const msg = bytes.subarray(off + 100, off + 100 + len);
    off += 100 + len;
    try {
      out[i] = sodium.crypto_sign_verify_detached(sig, msg, pk) ? 1 : 0;
    } catch {
      out[i] = 0;
    }
  }
  return out;
}
function x25519(buf) {
  const bytes = new Uint8Array(buf);
  const sk = bytes.subarray(0, 32);
  const n = (bytes.length - 32) / 32;
  const out = new Uint8Array(n * 33);
  for (let i = 0; i < n; i++) {
    try {
      sodium.crypto_scalarmult(out.subarray(i * 33 + 1, i * 33 + 33), sk, bytes.subarray(32 + i * 32, 64 + i * 32));
      out[i * 33] = 1;
    } catch {}
  }
  // The node's secret key does not outlive the batch here.
  sk.fill(0);
  return out;
}
parentPort.on("message", ({ id, kind, buf }) => {
  const out = kind === "x25519" ? x25519(buf) : verify(buf);
  parentPort.postMessage({ id, out }, [out.buffer]);
});
parentPort.postMessage({ ready: true });
`;

/** One signature check: does `signature` by `publicKey` cover `message`? */
export interface SignatureCheck {
  signature: Uint8Array;
  message: Uint8Array;
  publicKey: Uint8Array;
}

interface Pending {
  resolve(out: Uint8Array): void;
  reject(err: Error): void;
}

export class CryptoThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private verified = 0;
  private computed = 0;
  private isReady = false;
  private failure: Error | undefined;
  /** Resolves once the thread's libsodium is loaded (batches sent earlier wait for it). */
  readonly ready: Promise<void>;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sodium: sodiumNativePath() } });
    // The node stops by closing its servers and store; this thread must not keep it alive.
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.on("message", (m: { ready?: true; id?: number; out?: Uint8Array }) => {
        if (m.ready) {
          this.isReady = true;
          resolve();
          return;
        }
        const p = this.pending.get(m.id!);
        if (!p) return;
        this.pending.delete(m.id!);
        p.resolve(m.out!);
      });
      const fail = (err: Error) => {
        this.failure ??= err;
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
      this.worker.on("error", fail);
      this.worker.on("exit", (code) => fail(new Error(`crypto thread exited (code ${code})`)));
    });
    // A failed start is reported to callers through `usable` and rejected batches, not as an
    // unhandled rejection.
    this.ready.catch(() => {});
  }

  /** True while the thread is up and has loaded libsodium; false before and after. */
  get usable(): boolean {
    return this.isReady && !this.failure;
  }

  /** Signatures the thread has checked so far. */
  get checked(): number {
    return this.verified;
  }

  /** X25519 shared secrets the thread has computed (or refused) so far. */
  get sharedSecrets(): number {
    return this.computed;
  }

  /** Why the thread stopped, when it did. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Checks every signature on the thread; one boolean per check, in order. */
  async verify(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    // Checks with a malformed signature or key are answered false here, never sent.
    const malformed = checks.map(
      (c) => c.signature.length !== 64 || c.publicKey.length !== 32 || !(c.message instanceof Uint8Array),
    );
    let size = 4;
    for (let i = 0; i < checks.length; i++) if (!malformed[i]) size += 100 + checks[i]!.message.length;
    const buf = new ArrayBuffer(size);
    const bytes = new Uint8Array(buf);
    const view = new DataView(buf);
    let off = 4;
    let n = 0;
    for (let i = 0; i < checks.length; i++) {
      if (malformed[i]) continue;
      const c = checks[i]!;
      view.setUint32(off, c.message.length, true);
      bytes.set(c.signature, off + 4);
      bytes.set(c.publicKey, off + 68);
      bytes.set(c.message, off + 100);
      off += 100 + c.message.length;
      n++;
    }
    view.setUint32(0, n, true);
    const out = await this.send("verify", buf);
    this.verified += out.length;
    const results: boolean[] = [];
    for (let i = 0, j = 0; i < malformed.length; i++) results.push(malformed[i] ? false : out[j++] === 1);
    return results;
  }

  /**
   * X25519(secretKey, publicKey) for each key on the thread, in order: the shared secret, or null
   * where libsodium refuses it (a low-order point) or the key is not 32 bytes — the cases in
   * which `x25519SharedSecret` throws.
   */
  async x25519(secretKey: Uint8Array, publicKeys: readonly Uint8Array[]): Promise<(Uint8Array | null)[]> {
    if (secretKey.length !== 32) throw new Error("X25519 secret key must be 32 bytes");
    const malformed = publicKeys.map((pk) => pk.length !== 32);
    const sent = publicKeys.filter((_, i) => !malformed[i]);
    const buf = new ArrayBuffer(32 + sent.length * 32);
    const bytes = new Uint8Array(buf);
    bytes.set(secretKey);
    for (let i = 0; i < sent.length; i++) bytes.set(sent[i]!, 32 + i * 32);
    const out = await this.send("x25519", buf);
    this.computed += sent.length;
    const results: (Uint8Array | null)[] = [];
    for (let i = 0, j = 0; i < malformed.length; i++) {
      if (malformed[i]) {
        results.push(null);
        continue;
      }
      results.push(out[j * 33] === 1 ? out.subarray(j * 33 + 1, j * 33 + 33) : null);
      j++;
    }
    return results;
  }

  private send(kind: "verify" | "x25519", buf: ArrayBuffer): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, kind, buf }, [buf]);
    });
  }

  /** Stops the thread; batches still waiting are rejected (callers fall back to the event loop). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
