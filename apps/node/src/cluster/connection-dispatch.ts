import type { Socket } from "node:net";

/*
 * The owner's side of a cluster's public port (README "Using every core"): the owner accepts each
 * connection, paused, and hands it to the worker holding the fewest open connections. It replaces
 * node:cluster's round-robin handoff, which keeps a connection it was handing to a worker that
 * died open in the primary with nobody to answer it: here the owner keeps its copy only until the
 * worker says it took the connection, and closes every copy a dead worker never took, so the
 * client sees its connection end instead of waiting out its own timeout. The per-address cap is
 * kept here too, over the whole node rather than per worker.
 */

/** A worker as the dispatcher sees it: something a connection can be passed to. */
export interface DispatchTarget {
  /** Passes the socket (the owner keeps its copy open until `took`); a failed pass calls `lost`. */
  pass(id: number, socket: Socket): void;
}

export interface DispatchOptions {
  /** Open connections allowed per client address over every worker (0: no cap). */
  maxPerAddress: number;
  /** How long a connection waits for a ready worker (none yet, or all restarting) before it is closed. */
  holdMs: number;
}

interface Handed {
  worker: number;
  address: string;
  /** The owner's copy, until the worker took the connection. */
  socket?: Socket;
}

export class ConnectionDispatcher {
  private nextId = 1;
  /** Ready workers by id, with how many connections each holds open. */
  private readonly workers = new Map<number, { target: DispatchTarget; open: number }>();
  private readonly handed = new Map<number, Handed>();
  private readonly perAddress = new Map<string, number>();
  private readonly waiting = new Set<{ socket: Socket; address: string; timer: NodeJS.Timeout }>();
  /** Where the search for the least-loaded worker starts: ties go round the workers. */
  private turn = 0;
  private closed = false;

  constructor(private readonly opts: DispatchOptions) {}

  /** A new connection from the owner's listener (accepted with `pauseOnConnect`). */
  accept(socket: Socket): void {
    // The owner's copy is never read; an error on it (reset while waiting) only ends it.
    socket.on("error", () => {});
    const address = socket.remoteAddress;
    if (this.closed || address === undefined) {
      socket.destroy();
      return;
    }
    const open = this.perAddress.get(address) ?? 0;
    if (this.opts.maxPerAddress > 0 && open >= this.opts.maxPerAddress) {
      socket.destroy();
      return;
    }
    this.perAddress.set(address, open + 1);
    const worker = this.pick();
    if (worker !== undefined) {
      this.hand(worker, socket, address);
      return;
    }
    const entry = {
      socket,
      address,
      timer: setTimeout(() => {
        this.waiting.delete(entry);
        socket.destroy();
        this.release(address);
      }, this.opts.holdMs),
    };
    this.waiting.add(entry);
  }

  /** A worker ready for connections (its registry known); connections waiting go to it. */
  ready(workerId: number, target: DispatchTarget): void {
    if (this.closed) return;
    this.workers.set(workerId, { target, open: 0 });
    for (const entry of this.waiting) {
      this.waiting.delete(entry);
      clearTimeout(entry.timer);
      if (entry.socket.destroyed) this.release(entry.address);
      else this.hand(this.pick()!, entry.socket, entry.address);
    }
  }

  /** The worker has its own copy: the owner's is closed (the connection stays open in the worker). */
  took(workerId: number, id: number): void {
    const h = this.handed.get(id);
    if (h?.worker !== workerId) return;
    h.socket?.destroy();
    h.socket = undefined;
  }

  /** The worker's connection `id` closed. */
  closedByWorker(workerId: number, id: number): void {
    const h = this.handed.get(id);
    if (h?.worker !== workerId) return;
    this.drop(id, h);
  }

  /** A pass that failed (the channel to the worker was gone): the connection ends here. */
  lost(id: number): void {
    const h = this.handed.get(id);
    if (h) this.drop(id, h);
  }

  /**
   * A worker that exited or stops taking connections: the ones it never took are closed here
   * (their other copy, if any, went with the worker), and no more go to it.
   */
  gone(workerId: number): void {
    this.workers.delete(workerId);
    for (const [id, h] of this.handed) if (h.worker === workerId) this.drop(id, h);
  }

  /** Open connections per ready worker id (tests). */
  openByWorker(): Map<number, number> {
    return new Map([...this.workers].map(([id, w]) => [id, w.open]));
  }

  /** Open connections from one address over the whole node. */
  openFrom(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /** Stops handing out connections: those waiting are closed. */
  close(): void {
    this.closed = true;
    for (const entry of this.waiting) {
      clearTimeout(entry.timer);
      entry.socket.destroy();
      this.release(entry.address);
    }
    this.waiting.clear();
  }

  /** The ready worker with the fewest open connections (the next in turn among equals). */
  private pick(): number | undefined {
    const ids = [...this.workers.keys()];
    if (ids.length === 0) return undefined;
    let best: number | undefined;
    let least = Number.POSITIVE_INFINITY;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(this.turn + i) % ids.length]!;
      const open = this.workers.get(id)!.open;
      if (open < least) {
        least = open;
        best = id;
      }
    }
    this.turn = (this.turn + 1) % ids.length;
    return best;
  }

  private hand(workerId: number, socket: Socket, address: string): void {
    const id = this.nextId++;
    const w = this.workers.get(workerId)!;
    w.open++;
    this.handed.set(id, { worker: workerId, address, socket });
    w.target.pass(id, socket);
  }

  private drop(id: number, h: Handed): void {
    this.handed.delete(id);
    h.socket?.destroy();
    const w = this.workers.get(h.worker);
    if (w) w.open--;
    this.release(h.address);
  }

  private release(address: string): void {
    const left = (this.perAddress.get(address) ?? 1) - 1;
    if (left <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, left);
  }
}
