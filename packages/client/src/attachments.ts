import { decryptAttachment, encryptAttachment, MAX_ATTACHMENT_SIZE } from "@session/crypto";
import type { AttachmentPointer } from "@session/protocol";
import { z } from "zod";
import { ClientError } from "./errors.ts";
import type { OnionTransport, ServerTarget } from "./network/transport.ts";

/** What the recipient needs to fetch and open an attachment (sent inside the message). */
export interface AttachmentRef {
  id: string;
  url: string;
  key: Uint8Array;
  digest: Uint8Array;
  size: number;
  fileName?: string;
  contentType?: string;
}

export interface FileServerConfig {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** The file server's X25519 public key (hex): the onion destination key. */
  x25519: string;
}

function target(fs: FileServerConfig): ServerTarget {
  const u = new URL(fs.url);
  const protocol = u.protocol === "http:" ? "http" : "https";
  return {
    host: u.hostname,
    port: Number(u.port || (protocol === "http" ? 80 : 443)),
    protocol,
    x25519: fs.x25519,
  };
}

/**
 * Attachments through the file server, reached only by onion requests: encrypted with Session's
 * attachment scheme before upload; the digest and size are checked on download.
 */
export class Attachments {
  constructor(
    private readonly transport: OnionTransport,
    private readonly fileServer: FileServerConfig | undefined,
  ) {}

  private fs(): FileServerConfig {
    if (!this.fileServer) throw new ClientError("NETWORK_UNAVAILABLE", "no file server configured");
    return this.fileServer;
  }

  /**
   * Encrypts `bytes` with Session's attachment scheme and uploads them to the file server; the result
   * goes to `client.sendAttachment`. ATTACHMENT_TOO_LARGE above MAX_ATTACHMENT_SIZE, before anything
   * is sent; NETWORK_UNAVAILABLE without a `fileServer`.
   *
   * @example
   * ```ts
   * import { readFileSync } from "node:fs";
   *
   * const ref = await client.attachments.upload(
   *   readFileSync("photo.jpg"),
   *   { fileName: "photo.jpg", contentType: "image/jpeg" },
   *   (stage) => console.log(stage), // encrypting, uploading, done
   * );
   * await client.sendAttachment(bobId, ref);
   * ```
   */
  async upload(
    bytes: Uint8Array,
    meta: { fileName?: string; contentType?: string } = {},
    onProgress?: (stage: "encrypting" | "uploading" | "done") => void,
  ): Promise<AttachmentRef> {
    // Checked before encrypting or uploading: the padded, encrypted file must fit the server's limit.
    if (bytes.length > MAX_ATTACHMENT_SIZE) {
      throw new ClientError(
        "ATTACHMENT_TOO_LARGE",
        `file is ${bytes.length} bytes; attachments are limited to ${MAX_ATTACHMENT_SIZE} bytes`,
      );
    }
    const fs = this.fs();
    onProgress?.("encrypting");
    const enc = encryptAttachment(bytes);
    onProgress?.("uploading");
    const r = await this.transport.serverRequest(
      target(fs),
      { method: "POST", endpoint: "/file", headers: { "Content-Type": "application/octet-stream" } },
      enc.ciphertext,
    );
    if (r.code !== 200) throw new ClientError("REQUEST_FAILED", `upload failed (${r.code})`, r.code);
    const { id } = z
      .object({ id: z.union([z.string(), z.number()]) })
      .parse(JSON.parse(new TextDecoder().decode(r.body)));
    onProgress?.("done");
    return {
      id: String(id),
      url: `${fs.url.replace(/\/$/, "")}/file/${id}`,
      key: enc.key,
      digest: enc.digest,
      size: enc.size,
      ...meta,
    };
  }

  /**
   * Uploads bytes the caller already encrypted (e.g. a group picture); returns id and URL.
   *
   * @example
   * ```ts
   * const { id, url } = await client.attachments.uploadRaw(alreadyEncrypted);
   * ```
   */
  async uploadRaw(bytes: Uint8Array): Promise<{ id: string; url: string }> {
    const fs = this.fs();
    const r = await this.transport.serverRequest(
      target(fs),
      { method: "POST", endpoint: "/file", headers: { "Content-Type": "application/octet-stream" } },
      bytes,
    );
    if (r.code !== 200) throw new ClientError("REQUEST_FAILED", `upload failed (${r.code})`, r.code);
    const { id } = z
      .object({ id: z.union([z.string(), z.number()]) })
      .parse(JSON.parse(new TextDecoder().decode(r.body)));
    return { id: String(id), url: `${fs.url.replace(/\/$/, "")}/file/${id}` };
  }

  /**
   * Downloads a file as stored (no decryption).
   *
   * @example
   * ```ts
   * const stored = await client.attachments.downloadRaw(fileId); // still encrypted
   * ```
   */
  async downloadRaw(id: string): Promise<Uint8Array> {
    const r = await this.transport.serverRequest(target(this.fs()), {
      method: "GET",
      endpoint: `/file/${id}`,
    });
    if (r.code !== 200) throw new ClientError("REQUEST_FAILED", `download failed (${r.code})`, r.code);
    return r.body;
  }

  /**
   * Downloads and decrypts; DECRYPT_FAILED (CryptoError) when the digest or MAC is wrong.
   *
   * @example
   * ```ts
   * import { fromPointer } from "@session/client";
   *
   * client.on("message", async (m) => {
   *   const pointer = m.content.dataMessage?.attachments?.[0];
   *   const ref = pointer && fromPointer(pointer);
   *   if (ref) console.log((await client.attachments.download(ref)).length, "bytes");
   * });
   * ```
   */
  async download(ref: {
    id: string;
    key: Uint8Array;
    digest?: Uint8Array;
    size?: number;
  }): Promise<Uint8Array> {
    const r = await this.transport.serverRequest(target(this.fs()), {
      method: "GET",
      endpoint: `/file/${ref.id}`,
    });
    if (r.code !== 200) throw new ClientError("REQUEST_FAILED", `download failed (${r.code})`, r.code);
    return decryptAttachment(r.body, ref.key, ref.digest, ref.size);
  }
}

export function toPointer(ref: AttachmentRef): AttachmentPointer {
  return {
    deprecated_id: 0,
    key: ref.key,
    digest: ref.digest,
    size: ref.size,
    url: ref.url,
    ...(ref.fileName ? { fileName: ref.fileName } : {}),
    ...(ref.contentType ? { contentType: ref.contentType } : {}),
  };
}

/**
 * The file id, key and digest from an attachment pointer of a received message (its URL ends in
 * `/file/<id>`); undefined when the pointer is not one of a file server.
 *
 * @example
 * ```ts
 * import { fromPointer } from "@session/client";
 *
 * client.on("message", async (m) => {
 *   for (const p of m.content.dataMessage?.attachments ?? []) {
 *     const ref = fromPointer(p);
 *     if (ref) console.log(ref.fileName, (await client.attachments.download(ref)).length);
 *   }
 * });
 * ```
 */
export function fromPointer(
  p: AttachmentPointer,
): { id: string; key: Uint8Array; digest?: Uint8Array; size?: number; fileName?: string } | undefined {
  const id = p.url?.split("/file/")[1];
  if (!id || !p.key) return undefined;
  return {
    id,
    key: p.key,
    ...(p.digest ? { digest: p.digest } : {}),
    ...(p.size !== undefined ? { size: p.size } : {}),
    ...(p.fileName ? { fileName: p.fileName } : {}),
  };
}
