import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AccountKeys, fromHex, generateSeed, keypairFromSeed, toHex } from "@session/crypto";
import selfsigned from "selfsigned";

/** The node's Ed25519 seed, created once in the data dir (mode 0600) and reused on restart. */
export function loadNodeKeys(dataDir: string): AccountKeys {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "node.seed");
  if (!existsSync(path)) writeFileSync(path, `${toHex(generateSeed())}\n`, { mode: 0o600 });
  return keypairFromSeed(fromHex(readFileSync(path, "utf8").trim()));
}

/**
 * A self-signed TLS certificate, generated on first start and kept, as real nodes do: clients and
 * nodes do not trust it — they authenticate nodes by their keys (onion encryption, signatures).
 */
export async function loadTlsCertificate(
  dataDir: string,
  commonName: string,
): Promise<{ key: string; cert: string }> {
  const keyPath = join(dataDir, "tls.key");
  const certPath = join(dataDir, "tls.crt");
  if (!existsSync(keyPath) || !existsSync(certPath)) {
    const pems = selfsigned.generate([{ name: "commonName", value: commonName }], {
      keySize: 2048,
      days: 3650,
      algorithm: "sha256",
    });
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
    writeFileSync(certPath, pems.cert);
  }
  return { key: readFileSync(keyPath, "utf8"), cert: readFileSync(certPath, "utf8") };
}
