import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { ed25519PkToX25519, toHex } from "@session/crypto";

/** A Session account for tests: Ed25519 key (node:crypto), its public key and 05 Session ID. */
export interface TestAccount {
  key: KeyObject;
  edPk: Uint8Array;
  sessionId: string;
  sign(message: Uint8Array): Uint8Array;
}

export function newAccount(): TestAccount {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const der = publicKey.export({ format: "der", type: "spki" });
  const edPk = new Uint8Array(der.subarray(der.length - 32));
  return {
    key: privateKey,
    edPk,
    sessionId: `05${toHex(ed25519PkToX25519(edPk))}`,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}
