import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { toHex } from "@session/crypto";
import type { NodeInfo } from "@session/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { createIdentity } from "../identity.ts";
import { OnionTransport } from "./transport.ts";

/*
 * Real loopback HTTP servers stand where a path's guard would be; each answers every onion
 * request with a fixed status and text, as a relay does when a later hop fails. A "dead" node is
 * a port nothing listens on.
 */
const servers: Server[] = [];
afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

async function relay(answer: () => { status: number; body: string }): Promise<number> {
  const srv = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const a = answer();
      res.writeHead(a.status, { "content-type": "text/plain" }).end(a.body);
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return (srv.address() as AddressInfo).port;
}

async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function node(port: number): NodeInfo {
  const id = createIdentity().keys;
  return {
    pubkey_ed25519: toHex(id.ed25519.publicKey),
    pubkey_x25519: toHex(id.x25519.publicKey),
    public_ip: "127.0.0.1",
    storage_port: port,
    swarm_id: "0",
  } as NodeInfo;
}

const keyOf = (n: NodeInfo) => n.pubkey_ed25519;

describe("OnionTransport blames the hop that failed", () => {
  it("a dead hop is struck out alone; the rest of the path is kept", async () => {
    const dead = node(await deadPort());
    const answer = () => ({ status: 502, body: `Next node unreachable: ${dead.pubkey_ed25519}` });
    const alive = [node(await relay(answer)), node(await relay(answer)), node(await relay(answer))];
    const dest = node(await relay(answer));
    const all = [dead, ...alive];
    const t = new OnionTransport(() => [...all, dest], { scheme: "http", fetch, attempts: 1 });
    // Make the path hold the dead node (as the guard or a later hop): redraw until it does.
    let path = t.pathFor(dest);
    while (!path.includes(dead)) {
      (t as unknown as { path: undefined }).path = undefined;
      path = t.pathFor(dest);
    }
    const survivors = path.filter((n) => n !== dead);
    await expect(t.rpc(dest, "info", {})).rejects.toMatchObject({ code: "REQUEST_FAILED" });
    expect(t.health.usable(dead.pubkey_ed25519)).toBe(false);
    for (const n of alive) expect(t.health.count(keyOf(n))).toBe(0);
    const next = t.pathFor(dest);
    expect(next).not.toContain(dead);
    for (const s of survivors) expect(next).toContain(s);
    // Before: every node of the failed path was marked bad, so 4 live nodes could not make a path.
    expect(t.usableNodes()).toHaveLength(4);
  });

  it("an unreachable destination fails at once (no retries on new paths), blaming no path node", async () => {
    const dest = node(await deadPort());
    const answer = () => ({ status: 502, body: `Next node unreachable: ${dest.pubkey_ed25519}` });
    const hops = [node(await relay(answer)), node(await relay(answer)), node(await relay(answer))];
    const t = new OnionTransport(() => [...hops, dest], { scheme: "http", fetch, attempts: 3 });
    await expect(t.rpc(dest, "info", {})).rejects.toMatchObject({ code: "DESTINATION_UNREACHABLE" });
    expect(t.stats.requests).toBe(1);
    expect(t.health.usable(dest.pubkey_ed25519)).toBe(false);
    for (const n of hops) expect(t.health.count(keyOf(n))).toBe(0);
    expect(t.currentPath()).toHaveLength(3);
  });

  it("an error that names no node strikes the hops past the guard once; the guard is kept", async () => {
    const answer = () => ({ status: 504, body: "Request time out" });
    const hops = [node(await relay(answer)), node(await relay(answer)), node(await relay(answer))];
    const spare = node(await relay(answer));
    const spare2 = node(await relay(answer));
    const dest = node(await relay(answer));
    const t = new OnionTransport(() => [...hops, spare, spare2, dest], {
      scheme: "http",
      fetch,
      attempts: 1,
    });
    const path = t.pathFor(dest);
    await expect(t.rpc(dest, "info", {})).rejects.toMatchObject({ code: "REQUEST_FAILED" });
    expect(t.health.count(keyOf(path[0]!))).toBe(0);
    expect(t.health.count(keyOf(path[1]!))).toBe(1);
    expect(t.health.count(keyOf(path[2]!))).toBe(1);
    // One strike is not enough to leave a node out, but the path is rebuilt around the guard.
    expect(t.usableNodes()).toHaveLength(6);
    expect(t.pathFor(dest)[0]).toBe(path[0]);
  });
});
