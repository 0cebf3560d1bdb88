import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  decryptOnsResponse,
  encryptNameRecord,
  fromHex,
  generateSeed,
  keypairFromSeed,
  nameHashBase64,
  nameHashHex,
  toHex,
} from "@session/crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexerNameResolver } from "./resolver.ts";

const bob = keypairFromSeed(generateSeed()).sessionId;
const record = encryptNameRecord("bob", bob);
let server: Server;
let url: string;
let asked: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    asked.push(req.url ?? "");
    if (req.url === `/v1/names/${nameHashHex("bob")}`) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ encryptedRecord: `0x${toHex(record)}`, length: 3 }));
    } else if (req.url === `/v1/names/${nameHashHex("short")}`) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ encryptedRecord: "0x0102", length: 5 }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("indexerNameResolver (ons_resolve from the chain)", () => {
  it("answers with encrypted_value and nonce that libsession's scheme decrypts with the name", async () => {
    asked = [];
    const answer = await indexerNameResolver(url).resolve(nameHashBase64("Bob"));
    expect(asked).toEqual([`/v1/names/${nameHashHex("bob")}`]);
    expect(answer).not.toBeNull();
    expect(decryptOnsResponse("bob", fromHex(answer!.encrypted_value), fromHex(answer!.nonce))).toBe(bob);
  });

  it("null for unknown names and malformed records; errors for a bad hash", async () => {
    const r = indexerNameResolver(url);
    expect(await r.resolve(nameHashBase64("nobody"))).toBeNull();
    expect(await r.resolve(nameHashBase64("short"))).toBeNull();
    await expect(r.resolve("not base64!")).rejects.toThrow(/base64/);
    await expect(r.resolve(Buffer.alloc(16).toString("base64"))).rejects.toThrow(/32 bytes/);
  });
});
