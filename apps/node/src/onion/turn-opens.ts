import type { OpenedOnionLayer } from "@session/crypto";
import type { CryptoThread } from "../crypto-thread.ts";
import { TurnQueue } from "../turn-batch.ts";
import type { HopCipher } from "./hop-cipher.ts";
import type { OnionHopInput } from "./process.ts";

/** Where a node's layer opens get their X25519 done off the event loop. */
export interface OnionOpenThread {
  thread: CryptoThread;
  /** The X25519 secret key the hop cipher opens with (the node's). */
  x25519SecretKey: Uint8Array;
  /** A turn with fewer opens than this opens on the event loop. Default 2: one alone would only wait. */
  minBatch?: number;
}

interface Job {
  cipher: HopCipher;
  thread: OnionOpenThread | undefined;
  input: OnionHopInput;
  resolve(opened: OpenedOnionLayer): void;
  reject(err: unknown): void;
}

/**
 * Runs the layer opens of one event-loop turn together, in the turn's check phase (TurnQueue says
 * why): in arrival order on the event loop, or — for a turn with at least `minBatch` opens for the
 * same thread while that thread is usable — with the turn's X25519 computed on the thread in one
 * batch and only the key derivation and AEAD left to the event loop (`openWithSharedSecret`,
 * which gives `open`'s result and errors). If the thread goes away with a batch in hand, those
 * opens run on the event loop.
 */
export class TurnOpens {
  private readonly queue = new TurnQueue<Job>((batch) => this.flush(batch));

  open(cipher: HopCipher, input: OnionHopInput, thread?: OnionOpenThread): Promise<OpenedOnionLayer> {
    return new Promise<OpenedOnionLayer>((resolve, reject) => {
      this.queue.push({ cipher, thread, input, resolve, reject });
    });
  }

  /** Opens waiting for this turn's check phase. */
  get pending(): number {
    return this.queue.pending;
  }

  private flush(batch: Job[]): void {
    // Nodes sharing the process (tests, devnets) each have their own thread settings.
    const byThread = new Map<OnionOpenThread, Job[]>();
    for (const job of batch) {
      if (!job.thread) continue;
      const jobs = byThread.get(job.thread);
      if (jobs) jobs.push(job);
      else byThread.set(job.thread, [job]);
    }
    for (const [t, jobs] of byThread) {
      if (jobs.length < (t.minBatch ?? 2) || !t.thread.usable) byThread.delete(t);
    }
    for (const job of batch) if (!job.thread || !byThread.has(job.thread)) openInline(job);
    for (const [t, jobs] of byThread) {
      const keys = jobs.map((j) => j.input.ephemeralKey);
      t.thread.x25519(t.x25519SecretKey, keys).then(
        (shared) => {
          for (let i = 0; i < jobs.length; i++) {
            const { cipher, input } = jobs[i]!;
            settle(jobs[i]!, () =>
              cipher.openWithSharedSecret(
                input.encType,
                input.ciphertext,
                input.ephemeralKey,
                shared[i] ?? null,
              ),
            );
          }
        },
        // The thread went away with the batch: these layers open here instead.
        () => {
          for (const j of jobs) openInline(j);
        },
      );
    }
  }
}

function settle(job: Job, open: () => OpenedOnionLayer): void {
  try {
    job.resolve(open());
  } catch (err) {
    job.reject(err);
  }
}

const openInline = (job: Job) =>
  settle(job, () => job.cipher.open(job.input.encType, job.input.ciphertext, job.input.ephemeralKey));
