import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fromHex, x25519PublicFromSecret } from "@session/crypto";
import type { X25519Keys } from "./onion.ts";

const fromSecret = (secretKey: Uint8Array): X25519Keys => ({
  secretKey,
  publicKey: x25519PublicFromSecret(secretKey),
});

/**
 * A server's long-term X25519 key (onion requests are encrypted to it; the community server's
 * clients also blind against it): from `secretHex` when given, else read from `path`, else
 * generated there (mode 0600) on first start. The file servers, push and community servers share it.
 */
export async function loadServerKeys(path: string, secretHex?: string): Promise<X25519Keys> {
  if (secretHex) return fromSecret(fromHex(secretHex));
  try {
    const text = (await readFile(path, "utf8")).trim();
    if (!/^[0-9a-f]{64}$/i.test(text))
      throw new Error(`${path} does not hold a 64-hex-digit X25519 secret key`);
    return fromSecret(fromHex(text));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const secret = new Uint8Array(randomBytes(32));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${Buffer.from(secret).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  return fromSecret(secret);
}
