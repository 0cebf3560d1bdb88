import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AccountKeys,
  fromHex,
  keypairFromSeed,
  mnemonicToSeed,
  randomBytesArray,
  seedToMnemonic,
  toHex,
} from "@session/crypto";
import { ClientError } from "./errors.ts";

export interface Identity {
  keys: AccountKeys;
  sessionId: string;
  /** The 13-word recovery phrase (restores the same Session ID on any device). */
  recoveryPhrase: string;
  /** The 16-byte seed the phrase encodes. */
  seed16: Uint8Array;
}

function fromSeed16(seed16: Uint8Array): Identity {
  const keys = keypairFromSeed(seed16);
  return { keys, sessionId: keys.sessionId, recoveryPhrase: seedToMnemonic(seed16), seed16 };
}

/**
 * A new account: 16 random bytes, as Session creates them, so it has a recovery phrase.
 *
 * @example
 * ```ts
 * import { createIdentity } from "@session/client";
 *
 * const me = createIdentity();
 * console.log(me.sessionId); // 05… (66 hex digits)
 * console.log(me.recoveryPhrase); // 13 words: write them down
 * ```
 */
export function createIdentity(): Identity {
  return fromSeed16(randomBytesArray(16));
}

/**
 * The account a recovery phrase encodes (errors: MNEMONIC_* CryptoErrors). A second device
 * restored from the phrase is the same account: both receive every message.
 *
 * @example
 * ```ts
 * import { restoreIdentity } from "@session/client";
 *
 * const me = restoreIdentity(recoveryPhrase);
 * console.log(me.sessionId);
 * ```
 */
export function restoreIdentity(phrase: string): Identity {
  return fromSeed16(mnemonicToSeed(phrase));
}

const FILE = "identity.seed";

/**
 * Writes the seed to `<dir>/identity.seed` readable by the owner only (0600) and returns that
 * path. An existing identity is kept (ClientError IDENTITY_EXISTS) unless `overwrite` is set.
 *
 * @example
 * ```ts
 * import { createIdentity, saveIdentity } from "@session/client";
 *
 * const path = saveIdentity("./alice", createIdentity());
 * console.log(`saved to ${path}`);
 * ```
 */
export function saveIdentity(dir: string, identity: Identity, opts: { overwrite?: boolean } = {}): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, FILE);
  if (existsSync(path) && !opts.overwrite) {
    throw new ClientError("IDENTITY_EXISTS", `an identity already exists in ${dir}`);
  }
  writeFileSync(path, `${toHex(identity.seed16)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/**
 * The identity `saveIdentity` wrote to `dir` (ClientError NO_IDENTITY when there is none).
 *
 * @example
 * ```ts
 * import { loadIdentity, SessionClient } from "@session/client";
 *
 * const client = new SessionClient({ identity: loadIdentity("./alice"), seeds: ["http://127.0.0.1:22023"] });
 * ```
 */
export function loadIdentity(dir: string): Identity {
  const path = join(dir, FILE);
  if (!existsSync(path)) throw new ClientError("NO_IDENTITY", `no identity in ${dir} (run: session id new)`);
  return fromSeed16(fromHex(readFileSync(path, "utf8").trim()));
}
