import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSeed, keypairFromSeed, randomBytesArray, toHex } from "@session/crypto";
import { createLogger } from "@session/service-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SubaccountRevocations } from "../storage/revocations.ts";
import { MessageStore, type StoredMessage } from "../storage/store.ts";
import { Membership } from "../swarm/membership.ts";
import { peerClient } from "./peer.ts";
import { type PeerRequest, peerRequestSchema, SwarmSync } from "./sync.ts";

// A registry of 12 nodes (two swarms or more), this node the first; a real store in a temp file.
const keys = Array.from({ length: 12 }, () => keypairFromSeed(generateSeed()));
const nodes = keys.map((k, i) => ({
  pubkey_ed25519: toHex(k.ed25519.publicKey),
  pubkey_x25519: toHex(k.x25519.publicKey),
  public_ip: "127.0.0.1",
  storage_port: 1000 + i,
  swarm_id: "0",
}));
const NOW = 1_700_000_000_000;
let dir: string;
let store: MessageStore;
let membership: Membership;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sync-test-"));
  store = MessageStore.open(join(dir, "db.sqlite"));
  membership = new Membership(nodes[0]!.pubkey_ed25519);
  membership.update(nodes);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function syncer(page: { messages: number; bytes: number }) {
  return new SwarmSync({
    store,
    revocations: new SubaccountRevocations(store.db),
    membership,
    peers: peerClient({ keys: keys[0]!.ed25519, scheme: "http", fetch, now: () => NOW }),
    clock: { now: () => NOW },
    logger: createLogger({ name: "test", level: "silent" }),
    page,
  });
}

/** Accounts of this node's swarm and of others, `n` messages each, stored interleaved. */
function fill(n: number, bytes = 100): { mine: string[]; foreign: string[] } {
  const mine: string[] = [];
  const foreign: string[] = [];
  // Three accounts of our swarm and five of others.
  const ours: string[] = [];
  const theirs: string[] = [];
  while (ours.length < 3 || theirs.length < 5) {
    const o = `05${toHex(randomBytesArray(32))}`;
    const list = membership.isMine(o) ? ours : theirs;
    if ((list === ours && ours.length < 3) || (list === theirs && theirs.length < 5)) list.push(o);
  }
  const owners = [...ours, ...theirs];
  for (let i = 0; i < n; i++) {
    for (const owner of owners) {
      const m: StoredMessage = {
        hash: `${owner.slice(2, 12)}-${i}`.padEnd(43, "A"),
        owner,
        namespace: 0,
        timestamp: NOW,
        expiry: NOW + 60_000,
        data: randomBytesArray(bytes),
      };
      store.store(m);
      (membership.isMine(owner) ? mine : foreign).push(m.hash);
    }
  }
  return { mine, foreign };
}

type SyncAnswer = { messages: { hash: string }[]; next?: number };
const ask = (s: SwarmSync, after?: number) =>
  s.handlePeer(
    peerRequestSchema.parse({ action: "sync", ...(after !== undefined ? { after } : {}) }) as PeerRequest,
  ) as SyncAnswer;

/** Follows `next` from the start; returns every page. */
function allPages(s: SwarmSync): SyncAnswer[] {
  const pages = [ask(s)];
  while (pages.at(-1)!.next !== undefined) {
    const next = pages.at(-1)!.next!;
    if (pages.length > 1) expect(next).toBeGreaterThan(pages.at(-2)!.next!);
    pages.push(ask(s, next));
  }
  return pages;
}

describe("sync pages", () => {
  it("a peer's sync comes in pages of at most `messages`; following `next` gives each of our swarm's messages once", () => {
    const { mine, foreign } = fill(7);
    const pages = allPages(syncer({ messages: 4, bytes: 1 << 20 }));
    expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(mine.length / 4));
    for (const p of pages) expect(p.messages.length).toBeLessThanOrEqual(4);
    const got = pages.flatMap((p) => p.messages.map((m) => m.hash));
    expect(got.sort()).toEqual([...mine].sort());
    expect(got.some((h) => foreign.includes(h))).toBe(false);
  });

  it("pages are cut by body bytes too (base64 data + 256 per message)", () => {
    const { mine } = fill(5, 3000); // 4000 base64 bytes + 256 each
    const pages = allPages(syncer({ messages: 1000, bytes: 9000 }));
    for (const p of pages) expect(p.messages.length).toBeLessThanOrEqual(3);
    expect(pages.flatMap((p) => p.messages.map((m) => m.hash)).sort()).toEqual([...mine].sort());
  });

  it("a sync without `after` (an older peer) starts from the beginning; an empty store has one empty page", () => {
    expect(allPages(syncer({ messages: 10, bytes: 1 << 20 }))).toEqual([{ messages: [], revocations: [] }]);
    const { mine } = fill(1);
    const first = ask(syncer({ messages: 1000, bytes: 1 << 20 }));
    expect(first.next).toBeUndefined();
    expect(first.messages.map((m) => m.hash).sort()).toEqual([...mine].sort());
  });
});
