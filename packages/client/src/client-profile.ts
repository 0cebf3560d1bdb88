import { aesGcmDecrypt, aesGcmEncrypt, randomBytesArray } from "@session/crypto";
import type { LokiProfile } from "@session/protocol";
import type { Attachments } from "./attachments.ts";
import { ClientError } from "./errors.ts";
import type { UserConfigs } from "./state/user-configs.ts";

// The account's own profile, kept in the user profile config (split out of client.ts, whose
// `setProfile`, `profile` and `profilePicture` call these).

/**
 * Sets our display name and/or profile picture (an image, encrypted with a new 32-byte key as
 * Session encrypts profile pictures and uploaded to the file server; null removes it).
 */
export async function setProfile(
  configs: UserConfigs,
  attachments: Attachments,
  p: { name?: string; picture?: Uint8Array | null },
): Promise<void> {
  const change: Parameters<UserConfigs["setProfile"]>[0] = {};
  if (p.name !== undefined) change.name = p.name.trim();
  if (p.picture === null) change.picture = undefined;
  else if (p.picture) {
    const key = randomBytesArray(32);
    const { url } = await attachments.uploadRaw(aesGcmEncrypt(key, p.picture));
    change.picture = { url, key };
  }
  await configs.setProfile(change);
}

/** Our profile as the account's config holds it (the name and the picture's URL). */
export async function readProfile(configs: UserConfigs): Promise<{ name?: string; pictureUrl?: string }> {
  const p = await configs.readProfile();
  return { ...(p.name ? { name: p.name } : {}), ...(p.picture ? { pictureUrl: p.picture.url } : {}) };
}

/** Our profile picture (downloaded and decrypted), or undefined when we have none. */
export async function profilePicture(
  configs: UserConfigs,
  attachments: Attachments,
): Promise<Uint8Array | undefined> {
  const pic = (await configs.readProfile()).picture;
  if (!pic) return undefined;
  const id = pic.url.split("/file/")[1];
  if (!id) throw new ClientError("REQUEST_FAILED", "the profile picture URL is not a file server URL");
  return aesGcmDecrypt(pic.key, await attachments.downloadRaw(id));
}

/**
 * The profile we send: the account's own when set (`configs` given only when configs are
 * synced), else `fallback` (the client's `profile` option).
 */
export async function outgoingProfile(
  configs: UserConfigs | undefined,
  fallback: LokiProfile | undefined,
): Promise<{ profile?: LokiProfile; profileKey?: Uint8Array }> {
  const p = configs ? await configs.readProfile() : {};
  if (!p.name && !p.picture) return fallback ? { profile: fallback } : {};
  return {
    profile: {
      ...(p.name ? { displayName: p.name } : {}),
      ...(p.picture ? { profilePicture: p.picture.url } : {}),
    },
    ...(p.picture ? { profileKey: p.picture.key } : {}),
  };
}
