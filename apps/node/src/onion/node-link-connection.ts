import type { Socket } from "node:net";
import { SessionError } from "@session/errors";
import { ProtocolError } from "@session/protocol";
import { LINK_REPLY_OVERHEAD, LinkFrameReader, LinkFrameType } from "@session/protocol/onion";
import type { LinkReply } from "./node-link.ts";

interface Pending {
  resolve(r: LinkReply): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
  maxReplyBytes: number;
}

/** A link request or connect with no answer in time: another attempt (or node) can help. */
export class TimeoutError extends SessionError<"LINK_TIMEOUT"> {
  override readonly name = "TimeoutError";
  constructor(message: string) {
    super("LINK_TIMEOUT", message, { retryable: true });
  }
}

/** One open link to a peer: requests by id, replies matched back. */
export class Link {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly reader: LinkFrameReader;
  closed = false;

  /** When the link last had nothing in flight (idle links are closed). */
  idleSince = Date.now();

  constructor(
    private readonly socket: Socket,
    head: Buffer,
    maxReplyBytes: number,
    private readonly onClose: () => void,
  ) {
    this.reader = new LinkFrameReader(maxReplyBytes + LINK_REPLY_OVERHEAD);
    socket.setNoDelay(true);
    socket.setTimeout(0); // the connect timeout must not close an idle link
    if (head.length > 0) this.onData(head);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => {});
    socket.on("end", () => socket.destroy());
    socket.on("close", () => this.fail(new Error("node link closed")));
  }

  request(
    frame: (id: number) => [Uint8Array, Uint8Array],
    timeoutMs: number,
    maxReplyBytes: number,
  ): Promise<LinkReply> {
    return new Promise<LinkReply>((resolve, reject) => {
      if (this.closed) return reject(new Error("node link closed"));
      const id = this.nextId;
      this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
      const timer = setTimeout(() => {
        // A late reply to this id is dropped (its id is no longer pending).
        this.pending.delete(id);
        if (this.pending.size === 0) this.idleSince = Date.now();
        reject(new TimeoutError("node link request timed out"));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, maxReplyBytes });
      const [h, b] = frame(id);
      this.socket.cork();
      this.socket.write(h);
      this.socket.write(b);
      process.nextTick(() => this.socket.uncork());
    });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  close(): void {
    this.socket.destroy();
    this.fail(new Error("node link closed"));
  }

  private onData(chunk: Buffer): void {
    let frames: ReturnType<LinkFrameReader["push"]>;
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      const tooLarge = err instanceof ProtocolError && err.code === "PAYLOAD_TOO_LARGE";
      this.socket.destroy();
      this.fail(tooLarge ? new ProtocolError("BAD_GATEWAY", "reply too large") : err);
      return;
    }
    for (const f of frames) {
      if (f.type !== LinkFrameType.reply) {
        this.socket.destroy(); // an acceptor never sends requests
        this.fail(new Error("node link: unexpected frame"));
        return;
      }
      const p = this.pending.get(f.id);
      if (!p) continue; // timed out already
      this.pending.delete(f.id);
      if (this.pending.size === 0) this.idleSince = Date.now();
      clearTimeout(p.timer);
      if (f.body.length > p.maxReplyBytes) p.reject(new ProtocolError("BAD_GATEWAY", "reply too large"));
      else p.resolve({ status: f.status, contentType: f.contentType, body: f.body });
    }
  }

  private fail(err: unknown): void {
    if (!this.closed) {
      this.closed = true;
      this.onClose();
    }
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
