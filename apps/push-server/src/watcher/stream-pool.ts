import type { NodeInfo } from "@session/protocol";
import { type ConnectionHost, MonitorConnection } from "./monitor-connection.ts";

/** One row of `Watcher.streamStats()`. */
export interface StreamStats {
  node: string;
  url: string;
  /** The node-assigned id, while the stream is open. */
  stream: string | undefined;
  /** Accounts placed on the stream. */
  accounts: number;
  /** Of those, the ones the node accepted. */
  acked: number;
}

/**
 * The watcher's monitor streams, by node key (ed25519@url): usually one a node, another once a
 * stream carries `maxAccountsPerStream` accounts. A stream left without accounts is dropped.
 */
export class StreamPool {
  private readonly byKey = new Map<string, MonitorConnection[]>();

  constructor(private readonly host: ConnectionHost) {}

  /** A stream to node `n` at `url` with room for one more account, opened if none has. */
  forNode(n: NodeInfo, url: string): MonitorConnection {
    const key = `${n.pubkey_ed25519}@${url}`;
    const list = this.byKey.get(key) ?? [];
    this.byKey.set(key, list);
    const room = list.find((c) => c.accounts.size < this.host.opts.maxAccountsPerStream);
    if (room) return room;
    const conn = new MonitorConnection(this.host, n, url, list.length);
    list.push(conn);
    return conn;
  }

  /** Takes an account off a stream; a stream left without accounts is dropped. */
  detach(conn: MonitorConnection, pubkey: string): void {
    conn.remove(pubkey);
    if (conn.accounts.size > 0) return;
    const list = this.byKey.get(conn.key);
    if (!list) return;
    const rest = list.filter((c) => c !== conn);
    if (rest.length > 0) this.byKey.set(conn.key, rest);
    else this.byKey.delete(conn.key);
  }

  all(): MonitorConnection[] {
    return [...this.byKey.values()].flat();
  }

  closeAll(): void {
    for (const c of this.all()) c.close();
    this.byKey.clear();
  }

  stats(): StreamStats[] {
    return this.all().map((c) => ({
      node: c.node.pubkey_ed25519,
      url: c.url,
      stream: c.streamId,
      accounts: c.accounts.size,
      acked: c.acked.size,
    }));
  }
}
