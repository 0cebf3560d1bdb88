import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blind15KeyPair, blind15Sign, keypairFromSeed, toHex, utf8Encode } from "@session/crypto";
import { createLogger, loadServerKeys, type RunningServer, startServer } from "@session/service-kit";
import { type ManualClock, manualClock } from "@session/service-kit/testing";
import { signedMessage } from "../src/auth/signature.ts";
import { type Db, openPostgres, openSqlite } from "../src/db/sql.ts";
import { type CommunityLimits, DEFAULT_LIMITS } from "../src/domain/context.ts";
import { createRoom } from "../src/domain/rooms.ts";
import {
  type AppDeps,
  type CommunityServer,
  createCommunityServer,
  DEFAULT_RATE_LIMITS,
  type RateLimits,
} from "../src/server.ts";

export const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface Harness {
  url: string;
  server: RunningServer;
  community: CommunityServer;
  deps: AppDeps;
  clock: ManualClock;
  member(seed?: Uint8Array): Member;
  close(): Promise<void>;
}

export interface HarnessOptions {
  db?: "sqlite" | "postgres";
  limits?: Partial<CommunityLimits>;
  rateLimits?: Partial<RateLimits>;
  directClientRoutes?: boolean;
}

/** createCommunityServer over a temp SQLite file (or a fresh PostgreSQL schema), one open room "lobby". */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "community-test-"));
  const schema = `community_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const db: Db =
    options.db === "postgres" ? await openPostgres(PG_URL, schema) : openSqlite(join(dir, "c.db"));
  const clock = manualClock();
  const deps: AppDeps = {
    db,
    keys: await loadServerKeys(join(dir, "x25519.key")),
    now: clock.now,
    logger: createLogger({ name: "community-test", level: "silent" }),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...options.rateLimits },
    directClientRoutes: options.directClientRoutes ?? true,
  };
  const community = createCommunityServer(deps);
  await createRoom(community.deps, { token: "lobby", name: "Lobby", description: "the open room" });
  const server = await startServer(community.app, { port: 0, graceMs: 1000 });
  return {
    url: server.url,
    server,
    community,
    deps,
    clock,
    member: (seed) => new Member(server.url, deps.keys.publicKey, seed ?? randomBytes(32), clock.now),
    close: async () => {
      await server.close();
      if (options.db === "postgres") await db.all(sqlDropSchema(schema));
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

import { sql } from "drizzle-orm";

const sqlDropSchema = (schema: string) => sql.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);

export interface SignOptions {
  nonce?: Uint8Array;
  timestamp?: number;
  /** Sign something other than what is sent (bad-signature tests). */
  tamper?: (msg: Uint8Array) => Uint8Array;
}

/** A community member signing requests as a Session client does (15-blinded). */
export class Member {
  readonly keys;
  readonly blindedId: string;
  constructor(
    readonly url: string,
    readonly serverPk: Uint8Array,
    seed: Uint8Array,
    private readonly now: () => number,
  ) {
    this.keys = keypairFromSeed(seed);
    this.blindedId = `15${toHex(blind15KeyPair(this.keys.ed25519.secretKey, serverPk).publicKey)}`;
  }

  headers(
    method: string,
    path: string,
    body: Uint8Array | undefined,
    o: SignOptions = {},
  ): Record<string, string> {
    const nonce = o.nonce ?? randomBytes(16);
    const ts = String(o.timestamp ?? Math.floor(this.now() / 1000));
    let msg = signedMessage({
      serverPk: this.serverPk,
      nonce,
      timestampText: ts,
      method,
      pathAndQuery: path,
      body,
    });
    if (o.tamper) msg = o.tamper(msg);
    return {
      "X-SOGS-Pubkey": this.blindedId,
      "X-SOGS-Nonce": Buffer.from(nonce).toString("base64"),
      "X-SOGS-Timestamp": ts,
      "X-SOGS-Signature": Buffer.from(blind15Sign(this.keys.ed25519.secretKey, this.serverPk, msg)).toString(
        "base64",
      ),
    };
  }

  async req(method: string, path: string, body?: unknown, o: SignOptions = {}): Promise<Response> {
    const bytes =
      body === undefined ? undefined : body instanceof Uint8Array ? body : utf8Encode(JSON.stringify(body));
    return fetch(`${this.url}${encodePath(path)}`, {
      method,
      headers: {
        ...this.headers(method, path, bytes, o),
        ...(bytes && !(body instanceof Uint8Array) ? { "content-type": "application/json" } : {}),
      },
      ...(bytes ? { body: bytes } : {}),
    });
  }

  /** Posts a message with dummy Session-protobuf bytes and a (dummy) 64-byte signature. */
  async post(room: string, text: string, extra: Record<string, unknown> = {}) {
    return this.req("POST", `/room/${room}/message`, {
      data: Buffer.from(text).toString("base64"),
      signature: Buffer.alloc(64, 1).toString("base64"),
      ...extra,
    });
  }
}

/** Percent-encodes non-ASCII characters only, as a client sending a raw UTF-8 path would. */
export function encodePath(path: string): string {
  return path.replace(/[^\x20-\x7e]+/g, (s) => encodeURIComponent(s));
}

// biome-ignore lint/suspicious/noExplicitAny: test assertions inspect arbitrary JSON
export const json = (res: Response): Promise<any> => res.json();
