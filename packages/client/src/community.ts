import { randomBytes } from "node:crypto";
import {
  blake2b,
  blind15KeyPair,
  blind15Sign,
  concatBytes,
  encryptForBlindedRecipient,
  fromHex,
  toHex,
  utf8Encode,
} from "@session/crypto";
import type { Content } from "@session/protocol";
import {
  type CommunityMessage,
  mergeCommunityMessage,
  openCommunityDm,
  type PollResult,
} from "./community-messages.ts";
import type { CommunityRequester } from "./community-requester.ts";
import { type CommunityUrl, parseCommunityUrl } from "./community-url.ts";
import { ClientError } from "./errors.ts";
import { padContent } from "./messages.ts";

/*
 * Communities (SOGS open groups): join from Session's link `https://host/room?public_key=<hex>`,
 * sign every request as SOGS expects with our 15-blinded key for that server, poll a room with one
 * /batch per poll, post/edit/delete/react/reply, upload attachments and exchange blinded DMs.
 */

const dec = new TextDecoder();

/**
 * One room of a community server, as one account (a 15-blinded ID per server): join, poll, post,
 * react, upload and blinded DMs. Requests go through `onionRequester` normally.
 *
 * @example
 * ```ts
 * import { Community, onionRequester, parseCommunityUrl } from "@session/client";
 *
 * const url = parseCommunityUrl("https://open.example.org/hikers?public_key=" + "ab".repeat(32));
 * const room = new Community(me.keys.ed25519.secretKey, url, onionRequester(client.transport, url));
 * await room.join();
 * await room.post("hello room");
 * const { messages } = await room.poll();
 * ```
 */
export class Community {
  readonly url: CommunityUrl;
  readonly blindedId: string;
  private readonly serverPk: Uint8Array;
  private seqno = 0;
  private inboxId = 0;
  private infoUpdates = -1;
  /** Every message seen, by id (edits replace, deletions mark). */
  readonly messages = new Map<number, CommunityMessage>();

  constructor(
    private readonly ed25519Sk: Uint8Array,
    url: CommunityUrl | string,
    private readonly send: CommunityRequester,
    private readonly now: () => number = Date.now,
  ) {
    this.url = typeof url === "string" ? parseCommunityUrl(url) : url;
    this.serverPk = fromHex(this.url.serverPk);
    this.blindedId = `15${toHex(blind15KeyPair(ed25519Sk, this.serverPk).publicKey)}`;
  }

  /**
   * X-SOGS-* headers for one request.
   *
   * @example
   * ```ts
   * const headers = room.signHeaders("GET", `/room/${room.url.room}`);
   * console.log(headers["X-SOGS-Pubkey"]); // our blinded ID, room.blindedId
   * ```
   */
  signHeaders(method: string, path: string, body?: Uint8Array): Record<string, string> {
    const nonce = randomBytes(16);
    const ts = String(Math.floor(this.now() / 1000));
    const parts = [this.serverPk, nonce, utf8Encode(ts), utf8Encode(method), utf8Encode(path)];
    if (body && body.length > 0) parts.push(blake2b(body, 64));
    return {
      "X-SOGS-Pubkey": this.blindedId,
      "X-SOGS-Nonce": Buffer.from(nonce).toString("base64"),
      "X-SOGS-Timestamp": ts,
      "X-SOGS-Signature": Buffer.from(
        blind15Sign(this.ed25519Sk, this.serverPk, concatBytes(...parts)),
      ).toString("base64"),
    };
  }

  /**
   * One signed request; JSON bodies in and out. Throws REQUEST_FAILED with SOGS's reason on ≥ 400.
   *
   * @example
   * ```ts
   * const rooms = await room.request("GET", "/rooms"); // every room the server lists
   * ```
   */
  async request(
    method: string,
    path: string,
    json?: unknown,
    raw?: { body: Uint8Array; headers?: Record<string, string> },
  ): Promise<unknown> {
    const body = raw?.body ?? (json === undefined ? undefined : utf8Encode(JSON.stringify(json)));
    const headers = {
      ...this.signHeaders(method, path, body),
      ...(json !== undefined ? { "Content-Type": "application/json" } : {}),
      ...raw?.headers,
    };
    const r = await this.send({ method, endpoint: path, headers }, body);
    if (r.code >= 400) {
      throw new ClientError(
        "REQUEST_FAILED",
        `${method} ${path}: ${r.code} ${dec.decode(r.body).slice(0, 200)}`,
        r.code,
      );
    }
    if (r.code === 304 || r.body.length === 0) return undefined;
    const type = r.headers["content-type"] ?? "";
    return type.includes("json") ? JSON.parse(dec.decode(r.body)) : r.body;
  }

  private roomPath(rest: string) {
    return `/room/${this.url.room}${rest}`;
  }

  /**
   * Room details (and checks that we can read it).
   *
   * @example
   * ```ts
   * const info = await room.join(); // REQUEST_FAILED (403, 404…) when we may not read the room
   * console.log(info.name, info.active_users);
   * ```
   */
  async join(): Promise<Record<string, unknown>> {
    const info = (await this.request("GET", this.roomPath(""))) as Record<string, unknown>;
    this.infoUpdates = Number(info.info_updates);
    return info;
  }

  /**
   * One /batch: room info changes, messages (with edits, deletions and reaction changes) since the
   * last seqno we saw, and our blinded inbox since the last DM we saw.
   *
   * @example
   * ```ts
   * setInterval(async () => {
   *   const { messages, dms } = await room.poll();
   *   for (const m of messages) if (!m.deleted) console.log(m.sender, m.text);
   *   for (const dm of dms) console.log("DM from", dm.senderSessionId, dm.text);
   * }, 5000);
   * ```
   */
  async poll(): Promise<PollResult> {
    const subs = [
      { method: "GET", path: this.roomPath(`/pollInfo/${this.infoUpdates}`) },
      { method: "GET", path: this.roomPath(`/messages/since/${this.seqno}?t=r&reactors=5`) },
      { method: "GET", path: this.inboxId > 0 ? `/inbox/since/${this.inboxId}` : "/inbox" },
    ];
    const res = (await this.request("POST", "/batch", subs)) as { code: number; body: unknown }[];
    const out: PollResult = { messages: [], dms: [] };
    const [info, msgs, inbox] = res;
    if (info?.code === 200) {
      const details = (info.body as { details?: Record<string, unknown> }).details;
      if (details) {
        this.infoUpdates = Number(details.info_updates);
        out.info = details;
      }
    }
    if (msgs?.code !== 200)
      throw new ClientError("REQUEST_FAILED", `poll failed (${msgs?.code})`, msgs?.code);
    for (const m of msgs.body as Record<string, unknown>[]) out.messages.push(this.remember(m));
    if (inbox?.code === 200) {
      for (const d of inbox.body as { id: number; sender: string; recipient: string; message: string }[]) {
        this.inboxId = Math.max(this.inboxId, d.id);
        out.dms.push(openCommunityDm(this.ed25519Sk, this.serverPk, d));
      }
    }
    return out;
  }

  /** Reads a message row and keeps it in `messages`, moving our seqno past it. */
  private remember(m: Record<string, unknown>): CommunityMessage {
    this.seqno = Math.max(this.seqno, Number(m.seqno));
    const prev = this.messages.get(Number(m.id));
    const msg = mergeCommunityMessage(m, prev);
    if (msg !== prev) this.messages.set(msg.id, msg);
    return msg;
  }

  /**
   * Recent messages, newest first (also remembered for later polls).
   *
   * @example
   * ```ts
   * for (const m of (await room.recent(20)).reverse()) console.log(m.sender, m.text);
   * ```
   */
  async recent(limit = 50): Promise<CommunityMessage[]> {
    const list = (await this.request("GET", this.roomPath(`/messages/recent?limit=${limit}`))) as Record<
      string,
      unknown
    >[];
    return list.map((m) => this.remember(m));
  }

  private encodePost(content: Content) {
    const data = padContent(content);
    // Like Session clients, the post is signed with the blinded key so readers can check its author.
    const signature = blind15Sign(this.ed25519Sk, this.serverPk, data);
    return {
      data: Buffer.from(data).toString("base64"),
      signature: Buffer.from(signature).toString("base64"),
    };
  }

  /**
   * Posts a text message (a reply when `replyTo` names a message; `files` are ids from `upload`);
   * returns the message as the server stored it (its `id` and `seqno`).
   *
   * @example
   * ```ts
   * const first = await room.post("hello room");
   * await room.post("replying to myself", { replyTo: first });
   * ```
   */
  async post(
    text: string,
    opts: { replyTo?: CommunityMessage; files?: number[] } = {},
  ): Promise<CommunityMessage> {
    const content: Content = {
      dataMessage: {
        body: text,
        ...(opts.replyTo ? { quote: { id: opts.replyTo.posted * 1000, author: opts.replyTo.sender } } : {}),
      },
    };
    const m = (await this.request("POST", this.roomPath("/message"), {
      ...this.encodePost(content),
      ...(opts.files?.length ? { files: opts.files } : {}),
    })) as Record<string, unknown>;
    return this.remember(m);
  }

  /**
   * Replaces the text of our message `id` (REQUEST_FAILED when it is not ours or is gone).
   *
   * @example
   * ```ts
   * const m = await room.post("helo");
   * await room.edit(m.id, "hello");
   * ```
   */
  async edit(id: number, text: string): Promise<void> {
    await this.request(
      "PUT",
      this.roomPath(`/message/${id}`),
      this.encodePost({ dataMessage: { body: text } }),
    );
  }

  /**
   * Deletes message `id`: ours, or anyone's for a moderator (REQUEST_FAILED otherwise).
   *
   * @example
   * ```ts
   * const m = await room.post("oops");
   * await room.delete(m.id);
   * ```
   */
  async delete(id: number): Promise<void> {
    await this.request("DELETE", this.roomPath(`/message/${id}`));
  }

  /**
   * Adds our `emoji` reaction to message `id`, or removes it when `remove` is set; false when there
   * was nothing to change (already reacted, or no reaction to remove).
   *
   * @example
   * ```ts
   * const m = await room.post("lunch?");
   * await room.react(m.id, "👍");
   * await room.react(m.id, "👍", true); // takes it back
   * ```
   */
  async react(id: number, emoji: string, remove = false): Promise<boolean> {
    const r = (await this.request(remove ? "DELETE" : "PUT", this.roomPath(`/reaction/${id}/${emoji}`))) as {
      added?: boolean;
      removed?: boolean;
    };
    return Boolean(remove ? r.removed : r.added);
  }

  /**
   * Uploads a file to the room (attach its id to a post within the hour).
   *
   * @example
   * ```ts
   * import { readFileSync } from "node:fs";
   *
   * const fileId = await room.upload(readFileSync("map.pdf"), "map.pdf");
   * await room.post("the route", { files: [fileId] });
   * ```
   */
  async upload(bytes: Uint8Array, fileName?: string): Promise<number> {
    const headers: Record<string, string> = { "Content-Type": "application/octet-stream" };
    if (fileName)
      headers["Content-Disposition"] = `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`;
    const r = (await this.request("POST", this.roomPath("/file"), undefined, { body: bytes, headers })) as {
      id: number;
    };
    return r.id;
  }

  /**
   * A file uploaded to the room, as stored (room files are not encrypted).
   *
   * @example
   * ```ts
   * import { writeFileSync } from "node:fs";
   *
   * writeFileSync("map.pdf", await room.download(fileId));
   * ```
   */
  async download(fileId: number): Promise<Uint8Array> {
    return (await this.request("GET", this.roomPath(`/file/${fileId}`))) as Uint8Array;
  }

  /**
   * Sends a blinded DM: only the recipient (and we) can open it, and it proves our Session ID.
   *
   * @example
   * ```ts
   * const [latest] = await room.recent(1);
   * if (latest) await room.sendDm(latest.sender, "hi from the room"); // BAD_RECIPIENT unless 15…/25…
   * ```
   */
  async sendDm(recipientBlindedId: string, text: string): Promise<number> {
    if (!/^(15|25)[0-9a-f]{64}$/.test(recipientBlindedId))
      throw new ClientError("BAD_RECIPIENT", "not a blinded ID");
    const content = padContent({ dataMessage: { body: text } });
    const box = encryptForBlindedRecipient(
      this.ed25519Sk,
      this.serverPk,
      fromHex(recipientBlindedId),
      content,
    );
    const r = (await this.request("POST", `/inbox/${recipientBlindedId}`, {
      message: Buffer.from(box).toString("base64"),
    })) as { id: number };
    return r.id;
  }

  /**
   * Moderators: bans a blinded ID from the room, for `timeoutSeconds` or for good.
   *
   * @example
   * ```ts
   * await room.ban(spammerId, 24 * 3600); // a day; without a timeout, for good
   * ```
   */
  async ban(blindedId: string, timeoutSeconds?: number): Promise<void> {
    await this.request("POST", `/user/${blindedId}/ban`, {
      rooms: [this.url.room],
      ...(timeoutSeconds ? { timeout: timeoutSeconds } : {}),
    });
  }
  /**
   * Moderators: lifts a ban on a blinded ID in this room.
   *
   * @example
   * ```ts
   * await room.unban(spammerId);
   * ```
   */
  async unban(blindedId: string): Promise<void> {
    await this.request("POST", `/user/${blindedId}/unban`, { rooms: [this.url.room] });
  }
}
