import { Worker } from "node:worker_threads";
import { sodiumModulePath } from "@session/crypto";

/*
 * Ed25519 signature checks on a thread of their own. A signed retrieve's verify is about a third
 * of the request's CPU, and the event loop is the node's one serial resource: moved here, a
 * turn's checks run on the other core while the event loop parses, queries and answers
 * (apps/node/README.md, "Signature checks on a thread"). The thread runs libsodium's
 * crypto_sign_verify_detached, as `@session/crypto` `verify` does on the event loop, so a
 * signature is accepted or refused the same way on either.
 *
 * One message per batch each way: the batch is packed into one transferred buffer
 * ([u32 count] then per check [u32 message length][64 signature][32 key][message]) and the
 * answer is one byte per check (1 valid, 0 not).
 */

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const sodium = require(workerData.sodium);
sodium.ready.then(() => {
  parentPort.on("message", ({ id, buf }) => {
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
    parentPort.postMessage({ id, out }, [out.buffer]);
  });
  parentPort.postMessage({ ready: true });
});
`;

/** One signature check: does `signature` by `publicKey` cover `message`? */
export interface SignatureCheck {
  signature: Uint8Array;
  message: Uint8Array;
  publicKey: Uint8Array;
}

interface Pending {
  resolve(results: boolean[]): void;
  reject(err: Error): void;
  /** Checks with a malformed signature or key: answered false here, never sent. */
  malformed: boolean[];
}

export class VerifyThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private answered = 0;
  private isReady = false;
  private failure: Error | undefined;
  /** Resolves once the thread's libsodium is loaded (checks sent earlier wait for it). */
  readonly ready: Promise<void>;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sodium: sodiumModulePath() } });
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
        const out = m.out!;
        const results: boolean[] = [];
        for (let i = 0, j = 0; i < p.malformed.length; i++) {
          results.push(p.malformed[i] ? false : out[j++] === 1);
        }
        this.answered += out.length;
        p.resolve(results);
      });
      const fail = (err: Error) => {
        this.failure ??= err;
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
      this.worker.on("error", fail);
      this.worker.on("exit", (code) => fail(new Error(`signature thread exited (code ${code})`)));
    });
    // A failed start is reported to callers through `usable`/`verify`, not as an unhandled rejection.
    this.ready.catch(() => {});
  }

  /** True while the thread is up and has loaded libsodium; false before and after. */
  get usable(): boolean {
    return this.isReady && !this.failure;
  }

  /** Signatures the thread has checked so far. */
  get checked(): number {
    return this.answered;
  }

  /** Why the thread stopped, when it did. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Checks every signature on the thread; one boolean per check, in order. */
  verify(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    if (this.failure) return Promise.reject(this.failure);
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
    const id = this.nextId++;
    return new Promise<boolean[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, malformed });
      this.worker.postMessage({ id, buf }, [buf]);
    });
  }

  /** Stops the thread; checks still waiting are rejected (callers fall back to the event loop). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
