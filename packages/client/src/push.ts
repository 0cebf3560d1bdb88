import { sign, toBase64, toHex, utf8Encode } from "@session/crypto";
import { ClientError } from "./errors.ts";
import type { Identity } from "./identity.ts";
import type { OnionTransport, ServerTarget } from "./network/transport.ts";

export interface PushServerConfig {
  url: string;
  /** The push server's X25519 public key (hex): the onion destination key. */
  x25519: string;
}

export interface PushRegistration {
  service: "firebase" | "apns";
  /** The device token the provider issued. */
  token: string;
  /** Namespaces to be notified about (ascending); default the 1:1 inbox. */
  namespaces?: number[];
  /** Include message bodies (≤ 2500 bytes) in the encrypted payload. */
  data?: boolean;
  /** 32-byte key the notifications are encrypted with (decrypt with decryptPushPayload). */
  encKey: Uint8Array;
}

/**
 * Push registration through an onion path to the push server (`POST /subscribe`), signed as the
 * push server expects: Ed25519 over "MONITOR" ‖ account hex ‖ sig_ts ‖ "1"/"0" ‖ namespaces.
 */
export class Push {
  constructor(
    private readonly transport: OnionTransport,
    private readonly identity: Identity,
    private readonly server: PushServerConfig | undefined,
  ) {}

  async register(r: PushRegistration): Promise<{ success: boolean; added?: boolean; updated?: boolean }> {
    if (!this.server) throw new ClientError("NETWORK_UNAVAILABLE", "no push server configured");
    const u = new URL(this.server.url);
    const protocol = u.protocol === "http:" ? "http" : "https";
    const target: ServerTarget = {
      host: u.hostname,
      port: Number(u.port || (protocol === "http" ? 80 : 443)),
      protocol,
      x25519: this.server.x25519,
    };
    const namespaces = [...(r.namespaces ?? [0])].sort((a, b) => a - b);
    const sigTs = Math.floor(Date.now() / 1000);
    const pubkey = this.identity.sessionId;
    const msg = utf8Encode(`MONITOR${pubkey}${sigTs}${r.data ? "1" : "0"}${namespaces.join(",")}`);
    const body = {
      pubkey,
      session_ed25519: toHex(this.identity.keys.ed25519.publicKey),
      namespaces,
      data: r.data ?? false,
      sig_ts: sigTs,
      signature: toBase64(sign(msg, this.identity.keys.ed25519.secretKey)),
      service: r.service,
      service_info: { token: r.token },
      enc_key: toHex(r.encKey),
    };
    const res = await this.transport.serverRequest(
      target,
      { method: "POST", endpoint: "/subscribe", headers: { "Content-Type": "application/json" } },
      utf8Encode(JSON.stringify(body)),
    );
    const parsed = JSON.parse(new TextDecoder().decode(res.body)) as {
      success?: boolean;
      error?: number;
      message?: string;
    };
    if (res.code !== 200 || !parsed.success) {
      throw new ClientError(
        "REQUEST_FAILED",
        `push registration refused: ${parsed.message ?? res.code}`,
        res.code,
      );
    }
    return parsed as { success: boolean };
  }
}
