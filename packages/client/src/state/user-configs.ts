import { fromBase64, fromHex, toBase64, toHex } from "@session/crypto";
import { type NodeInfo, type ParamsSigner, signRpcParams, TTL_MAXIMUM_PRIVATE_MS } from "@session/protocol";
import * as config from "@session/protocol/config";
import { ClientError } from "../errors.ts";
import type { RpcReply } from "../network/transport.ts";
import type { ClientStore, Conversation } from "./store.ts";

/*
 * Linked devices converge on the account's profile, contacts (accepted requests, blocked IDs)
 * and read state through the user's config namespaces (2 UserProfile, 3 Contacts,
 * 4 ConvoInfoVolatile), in libsession's config message format. Every local change is written
 * into the config and pushed to our own swarm; every poll retrieves what other devices pushed,
 * merges it (libsession's deterministic merge, so devices that changed things concurrently end
 * on the same message) and applies the result to the local store.
 */

export interface UserConfigNetwork {
  readonly sessionId: string;
  swarmRpc(
    account: string,
    method: string,
    params: Record<string, unknown> | ((dest: NodeInfo) => unknown),
  ): Promise<RpcReply & { node: NodeInfo }>;
  now(): number;
}

type Patch = Partial<Omit<config.ContactInfo, "sessionId">>;

export class UserConfigs {
  readonly profile: config.UserConfig;
  readonly contacts: config.UserConfig;
  readonly convos: config.UserConfig;
  private readonly all: config.UserConfig[];
  private loaded: Promise<void> | undefined;
  /**
   * Hashes of readable config messages in our swarm, per namespace, that the next push of that
   * config supersedes: deleted after it (as libsession's push returns them as obsolete).
   */
  private readonly superseded = new Map<number, Set<string>>();
  /** One sync or push at a time (a push must not interleave with a merge). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly net: UserConfigNetwork,
    private readonly store: ClientStore,
    ed25519SecretKey: Uint8Array,
    private readonly signer: () => ParamsSigner,
  ) {
    this.profile = new config.UserConfig("UserProfile", ed25519SecretKey);
    this.contacts = new config.UserConfig("Contacts", ed25519SecretKey);
    this.convos = new config.UserConfig("ConvoInfoVolatile", ed25519SecretKey);
    this.all = [this.profile, this.contacts, this.convos];
  }

  /** Loads the saved configs (once). */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      for (const c of this.all) {
        const d = await this.store.configDump(c.domain);
        if (!d) continue;
        try {
          c.load({ message: fromHex(d.message), needsPush: d.needsPush });
        } catch {
          // A damaged dump: start empty, the swarm holds the configs.
        }
      }
    })();
    return this.loaded;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      await this.load();
      return fn();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async save(c: config.UserConfig): Promise<void> {
    const d = c.dump();
    if (d) await this.store.saveConfigDump(c.domain, { message: toHex(d.message), needsPush: d.needsPush });
  }

  /** Our profile as the configs hold it. */
  async readProfile(): Promise<config.UserProfile> {
    await this.load();
    return config.readUserProfile(this.profile.data);
  }

  async contact(sessionId: string): Promise<config.ContactInfo | undefined> {
    await this.load();
    return config.getContact(this.contacts.data, sessionId);
  }

  async readContacts(): Promise<config.ContactInfo[]> {
    await this.load();
    return config.readContacts(this.contacts.data);
  }

  async readConvos(): Promise<config.ConvoVolatile[]> {
    await this.load();
    return config.readConvos1to1(this.convos.data);
  }

  /** Changes our profile and pushes it. */
  setProfile(p: Partial<config.UserProfile>): Promise<void> {
    return this.change(this.profile, (d) => config.writeUserProfile(d, p));
  }

  /** Changes a contact (created when missing) and pushes the contacts config. */
  updateContact(sessionId: string, patch: Patch): Promise<void> {
    return this.change(this.contacts, (d) => config.writeContact(d, sessionId, patch));
  }

  /** Removes a contact from the config (the conversation is deleted on our other devices). */
  removeContact(sessionId: string): Promise<void> {
    return this.change(this.contacts, (d) => {
      if (config.getContact(d, sessionId)) config.removeContact(d, sessionId);
    });
  }

  /**
   * Records that a conversation was read up to `lastRead` (ms) and pushes it. An older time than
   * the recorded one is ignored (libsession itself lets a caller move it back on purpose).
   */
  markRead(sessionId: string, lastRead: number, unread = false): Promise<void> {
    const now = this.net.now();
    const id = sessionId.toLowerCase();
    return this.change(this.convos, (d) => {
      const cur = config.readConvos1to1(d).find((c) => c.sessionId === id);
      const read = Math.max(lastRead, cur?.lastRead ?? 0);
      config.writeConvo1to1(d, { sessionId: id, lastRead: read, unread }, now);
    });
  }

  private change(c: config.UserConfig, fn: Parameters<config.UserConfig["edit"]>[0]): Promise<void> {
    return this.exclusive(async () => {
      if (!c.edit(fn)) return;
      await this.save(c);
      await this.pushPending();
    });
  }

  /** Pushes every config with changes not yet stored in our swarm. */
  push(): Promise<void> {
    return this.exclusive(() => this.pushPending());
  }

  private async pushPending(): Promise<void> {
    for (const c of this.all) {
      if (c === this.convos) {
        const now = this.net.now();
        c.edit((d) => config.pruneStaleConvos(d, now));
      }
      if (!c.needsPush) continue;
      const { seqno, data } = c.pushMessage();
      const r = await this.net.swarmRpc(this.net.sessionId, "store", () =>
        signRpcParams(
          "store",
          {
            pubkey: this.net.sessionId,
            namespace: c.namespace,
            timestamp: this.net.now(),
            ttl: TTL_MAXIMUM_PRIVATE_MS,
            data: toBase64(data),
          },
          this.signer(),
        ),
      );
      if (r.status !== 200)
        throw new ClientError("REQUEST_FAILED", `config store failed: ${JSON.stringify(r.body)}`, r.status);
      c.pushed(seqno);
      await this.save(c);
      const stored = (r.body as { hash?: string }).hash;
      const old = [...(this.superseded.get(c.namespace) ?? [])].filter((h) => h !== stored);
      this.superseded.set(c.namespace, new Set(stored ? [stored] : []));
      if (old.length) await this.deleteOld(old);
    }
  }

  /** Best effort: a failed delete leaves old messages to expire with their TTL. */
  private async deleteOld(hashes: string[]): Promise<void> {
    try {
      await this.net.swarmRpc(this.net.sessionId, "delete", () =>
        signRpcParams("delete", { pubkey: this.net.sessionId, messages: hashes }, this.signer()),
      );
    } catch {
      // expired in time anyway
    }
  }

  /**
   * Retrieves new config messages from our swarm, merges them, applies the merged contacts to
   * the local store and pushes the merge when one was needed. Returns true when anything changed.
   */
  sync(): Promise<boolean> {
    return this.exclusive(async () => {
      const got = await this.retrieve();
      let changed = false;
      for (const c of this.all) {
        const msgs = got.get(c.namespace) ?? [];
        if (!msgs.length) continue;
        const before = c === this.contacts ? config.readContacts(c.data) : [];
        if (!c.mergeMessages(msgs)) continue;
        changed = true;
        await this.save(c);
        if (c === this.contacts)
          await applyContacts(this.store, before, config.readContacts(c.data), this.net.now());
      }
      await this.pushPending();
      return changed;
    });
  }

  private async retrieve(): Promise<Map<number, Uint8Array[]>> {
    const namespaces = this.all.map((c) => c.namespace);
    const out = new Map<number, Uint8Array[]>(namespaces.map((n) => [n, []]));
    let pending = namespaces;
    for (let round = 0; round < 20 && pending.length; round++) {
      let node = "";
      const asked = pending;
      const r = await this.net.swarmRpc(this.net.sessionId, "batch", async (dest) => {
        node = dest.pubkey_ed25519;
        const signer = this.signer();
        const requests = [];
        for (const ns of asked) {
          const last = await this.store.lastHash(node, ns);
          requests.push({
            method: "retrieve",
            params: signRpcParams(
              "retrieve",
              {
                pubkey: this.net.sessionId,
                namespace: ns,
                timestamp: this.net.now(),
                ...(last ? { last_hash: last } : {}),
              },
              signer,
            ),
          });
        }
        return { requests };
      });
      if (r.status !== 200)
        throw new ClientError("REQUEST_FAILED", `config retrieve failed (${r.status})`, r.status);
      const results = (r.body as { results?: { code: number; body: unknown }[] }).results ?? [];
      const again: number[] = [];
      for (const [i, res] of results.entries()) {
        const ns = asked[i];
        if (ns === undefined) continue;
        if (res.code !== 200)
          throw new ClientError("REQUEST_FAILED", `config retrieve failed (${res.code})`, res.code);
        const body = res.body as { messages?: { hash: string; data: string }[]; more?: boolean };
        const msgs = body.messages ?? [];
        const conf = this.all.find((c) => c.namespace === ns)!;
        for (const m of msgs) {
          let bytes: Uint8Array;
          try {
            bytes = fromBase64(m.data);
          } catch {
            continue; // not base64: not a config of ours
          }
          out.get(ns)!.push(bytes);
          if (conf.readableMessage(bytes)) {
            const set = this.superseded.get(ns) ?? new Set<string>();
            set.add(m.hash);
            this.superseded.set(ns, set);
          }
        }
        const lastMsg = msgs[msgs.length - 1];
        if (lastMsg) await this.store.setLastHash(node, ns, lastMsg.hash);
        if (body.more && msgs.length) again.push(ns);
      }
      pending = again;
    }
    return out;
  }
}

function sameContact(a: config.ContactInfo | undefined, b: config.ContactInfo | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Applies merged contacts to the local store: approval (ours and theirs), their name, blocking.
 * Only contacts the merge changed are touched; a contact another device removed loses its
 * conversation and any block, as Session does when a contact is deleted.
 */
export async function applyContacts(
  store: ClientStore,
  before: readonly config.ContactInfo[],
  after: readonly config.ContactInfo[],
  now: number,
): Promise<void> {
  const old = new Map(before.map((c) => [c.sessionId, c]));
  const next = new Map(after.map((c) => [c.sessionId, c]));
  for (const c of after) {
    if (sameContact(old.get(c.sessionId), c)) continue;
    const conv: Conversation | undefined = await store.conversation(c.sessionId);
    if (conv || c.approved || c.approvedMe) {
      const at = c.created ? c.created * 1000 : now;
      const updated: Conversation = conv ?? {
        sessionId: c.sessionId,
        approved: false,
        approvedMe: false,
        createdAt: at,
        lastMessageAt: at,
      };
      updated.approved = c.approved;
      updated.approvedMe = c.approvedMe;
      if (c.name) updated.name = c.name;
      await store.putConversation(updated);
    }
    if ((await store.isBlocked(c.sessionId)) !== c.blocked) await store.setBlocked(c.sessionId, c.blocked);
  }
  for (const id of old.keys()) {
    if (next.has(id)) continue;
    await store.deleteConversation(id);
    await store.setBlocked(id, false);
  }
}
