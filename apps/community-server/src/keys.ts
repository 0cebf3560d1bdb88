import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { x25519PublicFromSecret } from "@session/crypto";
import type { X25519Keys } from "@session/service-kit";

function fromSecret(secret: Uint8Array): X25519Keys {
  const secretKey = new Uint8Array(secret);
  return { secretKey, publicKey: x25519PublicFromSecret(secretKey) };
}

/**
 * The server's long-term X25519 key (SOGS's server key: onion requests are encrypted to it and
 * clients blind against it): from the given hex, else read from `path`, else generated there (0600).
 */
export async function loadServerKeys(path: string, secretHex?: string): Promise<X25519Keys> {
  if (secretHex) return fromSecret(Buffer.from(secretHex, "hex"));
  try {
    const text = (await readFile(path, "utf8")).trim();
    if (!/^[0-9a-f]{64}$/i.test(text))
      throw new Error(`${path} does not hold a 64-hex-char X25519 secret key`);
    return fromSecret(Buffer.from(text, "hex"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const secret = randomBytes(32);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${secret.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  return fromSecret(secret);
}
