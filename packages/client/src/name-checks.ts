// Checks on what a user hands the name service (names, Session IDs, years) and how its amounts and
// times are shown, each failing with a ClientError whose code says which rule was broken.
import { CryptoError, isSessionId, normalizeName, SessionIdPrefix } from "@session/crypto";
import { formatUnits } from "ethers";
import { ClientError } from "./errors.ts";

/**
 * A lower-cased valid name, or BAD_NAME saying which rule it breaks.
 *
 * @example
 * ```ts
 * import { checkName } from "@session/client";
 *
 * const name = checkName("Alice"); // "alice"
 * ```
 */
export function checkName(name: string): string {
  try {
    return normalizeName(name);
  } catch (e) {
    const why = e instanceof CryptoError ? e.message : String(e);
    throw new ClientError("BAD_NAME", `"${name}" is not a valid name: ${why}`, undefined, { cause: e });
  }
}

/**
 * A 05 Session ID (lower-cased), or BAD_RECIPIENT.
 *
 * @example
 * ```ts
 * import { checkSessionId } from "@session/client";
 *
 * const id = checkSessionId("05" + "AB".repeat(32)); // "05abab…"
 * ```
 */
export function checkSessionId(id: string): string {
  if (!isSessionId(id, SessionIdPrefix.Standard))
    throw new ClientError("BAD_RECIPIENT", `"${id}" is not a Session ID (66 hex digits starting with 05)`);
  return id.toLowerCase();
}

/** A registration runs 1 to 10 whole years. */
export function checkYears(years: number): void {
  if (!Number.isInteger(years) || years < 1 || years > 10)
    throw new ClientError("BAD_ARGUMENT", `years must be a whole number from 1 to 10, not ${years}`);
}

/**
 * An amount of SESH (9 decimals, as the token counts it) for people to read.
 *
 * @example
 * ```ts
 * import { formatSesh } from "@session/client";
 *
 * formatSesh(1_500_000_000n); // "1.5 SESH"
 * ```
 */
export const formatSesh = (v: bigint) => `${formatUnits(v, 9)} SESH`;

/** Unix seconds as an ISO time without milliseconds, for messages ("?" when unknown). */
export const iso = (unixSeconds: number | undefined) =>
  unixSeconds === undefined ? "?" : new Date(unixSeconds * 1000).toISOString().replace(".000Z", "Z");
