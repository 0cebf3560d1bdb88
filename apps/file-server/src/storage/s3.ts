import { createReadStream } from "node:fs";
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { SessionError } from "@session/errors";
import { AwsV4Signer } from "aws4fetch";
import type { BlobStore, BlobStream } from "./blob-store.ts";
import type { StagedUpload } from "./staging.ts";

export interface S3Options {
  /** e.g. `https://s3.eu-central-1.amazonaws.com` or `http://127.0.0.1:9000`; path-style addressing. */
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Key prefix inside the bucket, e.g. `files/`. */
  prefix?: string;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
}

/**
 * A refused S3 request. Retryable when S3 says so by its status: throttled (429, 503 SlowDown),
 * a timeout (408) or a 5xx; any other 4xx is about the request or the credentials.
 */
export class S3Error extends SessionError<"S3_REQUEST_FAILED"> {
  override readonly name = "S3Error";
  constructor(
    readonly status: number,
    readonly operation: string,
    body: string,
    options?: { cause?: unknown },
  ) {
    super("S3_REQUEST_FAILED", `S3 ${operation} failed with HTTP ${status}: ${body.slice(0, 300)}`, {
      ...options,
      details: { status, operation },
      retryable: status >= 500 || status === 429 || status === 408,
    });
  }
}

/**
 * Blobs in an S3-compatible bucket. Requests are signed with SigV4 (aws4fetch's signer) and sent
 * with node:http so the staged file streams out with an exact Content-Length: S3 rejects chunked
 * PUTs, and fetch() does not let us set Content-Length on a streamed body.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = "s3";

  constructor(private readonly options: S3Options) {}

  private urlOf(key: string): string {
    const base = this.options.endpoint.replace(/\/+$/, "");
    const objectKey = `${this.options.prefix ?? ""}${key}`.split("/").map(encodeURIComponent).join("/");
    return `${base}/${encodeURIComponent(this.options.bucket)}/${objectKey}`;
  }

  private async signed(method: string, key: string, payloadSha256: string) {
    const signer = new AwsV4Signer({
      method,
      url: this.urlOf(key),
      headers: { "x-amz-content-sha256": payloadSha256 },
      accessKeyId: this.options.accessKeyId,
      secretAccessKey: this.options.secretAccessKey,
      service: "s3",
      region: this.options.region,
    });
    const { url, headers } = await signer.sign();
    return { url, headers: Object.fromEntries(headers.entries()) as Record<string, string> };
  }

  private send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body?: NodeJS.ReadableStream,
  ): Promise<http.IncomingMessage> {
    const mod = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, headers, timeout: this.options.timeoutMs ?? 60_000 }, resolve);
      req.on("timeout", () => req.destroy(new Error(`S3 ${method} timed out`)));
      req.on("error", reject);
      if (body) {
        body.on("error", (err) => req.destroy(err));
        body.pipe(req);
      } else {
        req.end();
      }
    });
  }

  async commit(key: string, staged: StagedUpload) {
    const { url, headers } = await this.signed("PUT", key, staged.sha256);
    const res = await this.send(
      "PUT",
      url,
      { ...headers, "content-length": String(staged.size), "content-type": "application/octet-stream" },
      createReadStream(staged.path),
    );
    const text = await readText(res);
    if (res.statusCode !== 200) throw new S3Error(res.statusCode ?? 0, "PUT", text);
    // The bucket has its own copy now; the staged file is no longer needed.
    await staged.discard();
  }

  async open(key: string): Promise<BlobStream | undefined> {
    const { url, headers } = await this.signed("GET", key, EMPTY_SHA256);
    const res = await this.send("GET", url, headers);
    if (res.statusCode === 404) {
      res.resume();
      return undefined;
    }
    if (res.statusCode !== 200) throw new S3Error(res.statusCode ?? 0, "GET", await readText(res));
    const size = Number(res.headers["content-length"]);
    return { size, stream: Readable.toWeb(res) as ReadableStream<Uint8Array> };
  }

  async delete(key: string) {
    const { url, headers } = await this.signed("DELETE", key, EMPTY_SHA256);
    const res = await this.send("DELETE", url, headers);
    const text = await readText(res);
    if (res.statusCode !== 204 && res.statusCode !== 200 && res.statusCode !== 404) {
      throw new S3Error(res.statusCode ?? 0, "DELETE", text);
    }
  }
}

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

async function readText(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
