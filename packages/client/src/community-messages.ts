// What a community room hands back: its messages (with edits, deletions and reactions) and the
// blinded DMs in our inbox, read into the SDK's shapes.
import { decryptFromBlindedRecipient, fromHex } from "@session/crypto";
import type { Content } from "@session/protocol";
import { unpadContent } from "./messages.ts";

export interface CommunityMessage {
  id: number;
  seqno: number;
  /** The poster's blinded ID (15…): communities never see Session IDs. */
  sender: string;
  posted: number;
  edited?: number;
  deleted?: boolean;
  content?: Content;
  text?: string;
  reactions: Record<string, { count: number; you?: boolean }>;
}

export interface CommunityDm {
  id: number;
  sender: string;
  recipient: string;
  /** The sender's real Session ID, proven by the blinded-DM encryption. */
  senderSessionId: string;
  text?: string;
}

export interface PollResult {
  messages: CommunityMessage[];
  dms: CommunityDm[];
  info?: Record<string, unknown>;
}

/**
 * A message row from SOGS read together with what we knew of it (`prev`): a row without
 * `session_id` only updates reactions and seqno, in `prev` itself; any other row is a new record.
 */
export function mergeCommunityMessage(
  m: Record<string, unknown>,
  prev: CommunityMessage | undefined,
): CommunityMessage {
  const reactions = (m.reactions as CommunityMessage["reactions"] | undefined) ?? prev?.reactions ?? {};
  if (!("session_id" in m) && prev) {
    prev.reactions = reactions;
    prev.seqno = Number(m.seqno);
    return prev;
  }
  const msg: CommunityMessage = {
    id: Number(m.id),
    seqno: Number(m.seqno),
    sender: String(m.session_id ?? prev?.sender ?? ""),
    posted: Number(m.posted ?? prev?.posted ?? 0),
    reactions,
  };
  if (m.edited !== undefined) msg.edited = Number(m.edited);
  if (m.deleted) msg.deleted = true;
  else if (typeof m.data === "string") {
    try {
      msg.content = unpadContent(new Uint8Array(Buffer.from(m.data, "base64")));
      if (msg.content.dataMessage?.body !== undefined) msg.text = msg.content.dataMessage.body;
    } catch {
      // not a Session message (another client's format): keep it without content
    }
  }
  return msg;
}

/**
 * A blinded DM from our inbox opened with our key for this server: the sender's Session ID it
 * proves, and its text when it carries a Session message.
 */
export function openCommunityDm(
  ed25519Sk: Uint8Array,
  serverPk: Uint8Array,
  d: { id: number; sender: string; recipient: string; message: string },
): CommunityDm {
  const opened = decryptFromBlindedRecipient(
    ed25519Sk,
    serverPk,
    fromHex(d.sender),
    fromHex(d.recipient),
    new Uint8Array(Buffer.from(d.message, "base64")),
  );
  const dm: CommunityDm = {
    id: d.id,
    sender: d.sender,
    recipient: d.recipient,
    senderSessionId: opened.senderSessionId,
  };
  try {
    const body = unpadContent(opened.message).dataMessage?.body;
    if (body !== undefined) dm.text = body;
  } catch {
    // not a Session Content payload
  }
  return dm;
}
