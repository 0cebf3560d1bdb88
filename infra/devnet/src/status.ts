import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateSeed, keypairFromSeed, toBase64, utf8Encode } from "@session/crypto";
import type { NodeInfo } from "@session/protocol";
import { onionRpc, type PostBytes } from "./onion-rpc.ts";

/**
 * Stores one message for a fresh account through a 3-node onion path to a member of its swarm,
 * and reports the path: what "follow one onion request" shows.
 */
async function traceOnce(
  nodes: readonly NodeInfo[],
  swarmOf: (id: string) => NodeInfo[],
  scheme: "http" | "https",
  nodeFetch: typeof fetch,
) {
  const account = keypairFromSeed(generateSeed()).sessionId;
  const members = swarmOf(account);
  const dest = members[Math.floor(Math.random() * members.length)]!;
  const others = nodes
    .filter((n) => n.pubkey_ed25519 !== dest.pubkey_ed25519)
    .sort(() => Math.random() - 0.5);
  const path = others.slice(0, 3);
  const post: PostBytes = async (url, body) => {
    const res = await nodeFetch(url, { method: "POST", body: body as Uint8Array<ArrayBuffer> });
    return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
  };
  const t0 = performance.now();
  const reply = await onionRpc(
    scheme,
    path,
    dest,
    {
      method: "store",
      params: {
        pubkey: account,
        namespace: 0,
        timestamp: Date.now(),
        ttl: 600_000,
        data: toBase64(utf8Encode("trace")),
      },
    },
    post,
  );
  return {
    path: path.map((n) => ({
      url: `${scheme}://${n.public_ip}:${n.storage_port}`,
      pubkeyEd25519: n.pubkey_ed25519,
    })),
    destination: `${dest.public_ip}:${dest.storage_port}`,
    status: reply.status,
    hash: (reply.body as { hash?: string }).hash ?? "",
    ms: Math.round(performance.now() - t0),
  };
}

export interface StatusSource {
  nodes(): { url: string; pubkeyEd25519: string; swarm: string | null; messages: () => number }[];
  seedUrl: string;
  /** Scheme the nodes serve, and the fetch that reaches them (node-only dispatcher). */
  nodeScheme: "http" | "https";
  nodeFetch: typeof fetch;
  indexerUrl: string;
  chainUrl: string;
  fileServerUrl?: string;
  /** The devnet community's join link. */
  communityJoinUrl?: string;
  network: { allNodes(): NodeInfo[]; swarmOf(id: string): NodeInfo[] };
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Session devnet</title>
<style>
 body{font:14px system-ui,sans-serif;margin:2rem;color:#222} h1{font-size:1.4rem}
 table{border-collapse:collapse;margin:1rem 0} td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
 code{font-size:12px} .hop{display:inline-block;padding:.3rem .6rem;margin:.2rem;border:1px solid #888;border-radius:4px}
</style></head>
<body>
<h1>Session devnet</h1>
<p id="summary">loading…</p>
<table><thead><tr><th>#</th><th>node</th><th>swarm</th><th>messages</th><th>ed25519</th></tr></thead><tbody id="nodes"></tbody></table>
<h2>Follow one onion request</h2>
<button id="trace">Send a message through a 3-hop path</button>
<div id="path"></div>
<script>
async function refresh(){
  const s = await (await fetch('/api/status')).json();
  document.getElementById('summary').textContent =
    s.nodes.length + ' nodes in ' + s.swarms + ' swarms, ' + s.messages + ' messages stored. Seed ' + s.seedUrl +
    (s.communityJoinUrl ? '. Community: ' + s.communityJoinUrl : '');
  document.getElementById('nodes').innerHTML = s.nodes.map((n, i) =>
    '<tr><td>' + i + '</td><td>' + n.url + '</td><td>' + n.swarm + '</td><td class="count">' + n.messages +
    '</td><td><code>' + n.pubkeyEd25519.slice(0, 16) + '…</code></td></tr>').join('');
}
document.getElementById('trace').onclick = async () => {
  const t = await (await fetch('/api/trace', { method: 'POST' })).json();
  document.getElementById('path').innerHTML = '<p>client → ' + t.path.map((h, i) =>
    '<span class="hop" data-hop="' + i + '">hop ' + (i + 1) + ' ' + h.url + '</span>').join(' → ') +
    ' → <span class="hop" data-dest>swarm node ' + t.destination + '</span> (' + t.ms + ' ms, stored ' + t.hash + ')</p>';
  refresh();
};
refresh(); setInterval(refresh, 2000);
</script></body></html>`;

/** The devnet's status page: nodes, swarms, message counts, and a traced onion request. */
export async function startStatusServer(src: StatusSource): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    try {
      if (req.method === "GET" && req.url === "/") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
        return;
      }
      if (req.method === "GET" && req.url === "/api/status") {
        const nodes = src.nodes().map((n) => ({
          url: n.url,
          pubkeyEd25519: n.pubkeyEd25519,
          swarm: n.swarm,
          messages: n.messages(),
        }));
        const body = {
          seedUrl: src.seedUrl,
          indexerUrl: src.indexerUrl,
          chainUrl: src.chainUrl,
          fileServerUrl: src.fileServerUrl ?? null,
          communityJoinUrl: src.communityJoinUrl ?? null,
          swarms: new Set(nodes.map((n) => n.swarm)).size,
          messages: nodes.reduce((a, n) => a + n.messages, 0),
          nodes,
        };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
        return;
      }
      if (req.method === "POST" && req.url === "/api/trace") {
        const body = await traceOnce(
          src.network.allNodes(),
          src.network.swarmOf,
          src.nodeScheme,
          src.nodeFetch,
        );
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
        return;
      }
      res.writeHead(404).end();
    } catch (err) {
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(err) }));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
