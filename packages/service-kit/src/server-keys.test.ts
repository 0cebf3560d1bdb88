import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "@session/crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadServerKeys } from "./server-keys.ts";

// X25519 key pairs from libsession-util tests/test_onionreq.cpp ("Onion request parser").
const SECRET = "2f4d1c0d28e137777ec0a316e9f4f763e3e66662a6c51994c6315c9ef34b6deb";
const PUBLIC = "8388de69bc0d4b6196133233ad9a46ba0473474bc67718aad96a3a33c257f726";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fs-keys-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("server X25519 keys", () => {
  it("derives the public key from FS_X25519_SECRET_KEY (libsession vector)", async () => {
    const keys = await loadServerKeys(join(dir, "x25519.key"), SECRET);
    expect(toHex(keys.publicKey)).toBe(PUBLIC);
  });

  it("generates a key once and reads the same key back", async () => {
    const path = join(dir, "sub", "x25519.key");
    const first = await loadServerKeys(path);
    const second = await loadServerKeys(path);
    expect(toHex(second.secretKey)).toBe(toHex(first.secretKey));
    expect(toHex(second.publicKey)).toBe(toHex(first.publicKey));
    expect((await readFile(path, "utf8")).trim()).toBe(toHex(first.secretKey));
  });

  it("reads a key file and refuses a corrupt one", async () => {
    const path = join(dir, "x25519.key");
    await writeFile(path, `${SECRET}\n`);
    expect(toHex((await loadServerKeys(path)).publicKey)).toBe(PUBLIC);
    await writeFile(path, "not a key");
    await expect(loadServerKeys(path)).rejects.toThrow(/does not hold a 64-hex-digit X25519 secret key/);
  });
});
