// Reverts of the SessionNameService (and the SESH token it takes payment in) decoded from their
// custom errors into ClientErrors with stable codes and messages a user can act on.
import { revertReason } from "@session/contracts/wallet";
import type { Interface } from "ethers";
import { ClientError, type ClientErrorCode } from "./errors.ts";

/** The contract's custom errors as a user should read them. */
const CONTRACT_ERRORS: Record<string, [ClientErrorCode, string]> = {
  NameUnavailable: ["NAME_TAKEN", "the name is taken"],
  NameNotRegistered: ["NAME_NOT_FOUND", "the name is not registered"],
  NotNameOwner: ["NOT_NAME_OWNER", "the wallet does not own this name"],
  NameExpired: ["NAME_EXPIRED", "the name has expired (its owner can renew it during the grace period)"],
  PastGracePeriod: ["NAME_EXPIRED", "the name expired past its grace period: register it again"],
  InvalidYears: ["BAD_ARGUMENT", "a registration runs 1 to 10 years"],
  InvalidLength: ["BAD_NAME", "the name's length is out of range"],
  InvalidRecordSize: ["BAD_ARGUMENT", "the record is not 73 bytes"],
  CommitmentTooNew: ["TRANSACTION_FAILED", "the commitment is not old enough yet"],
  CommitmentTooOld: ["TRANSACTION_FAILED", "the commitment is over a day old: register again"],
  CommitmentUnknown: ["TRANSACTION_FAILED", "the chain knows no such commitment"],
  EnforcedPause: ["TRANSACTION_FAILED", "the name service is paused"],
  ERC20InsufficientBalance: ["INSUFFICIENT_FUNDS", "the wallet does not hold enough SESH"],
  ERC20InsufficientAllowance: ["INSUFFICIENT_FUNDS", "the name service may not take enough SESH"],
  ERC721InvalidReceiver: ["BAD_ARGUMENT", "the receiving contract cannot hold names"],
};

/** A contract revert → ClientError with the custom error named and explained. */
export function explainNameServiceError(what: string, e: unknown, iface: Interface): Error {
  if (e instanceof ClientError) return e;
  const reason = revertReason(e, iface);
  const custom = /^(\w+)\(/.exec(reason)?.[1];
  const known = custom ? CONTRACT_ERRORS[custom] : undefined;
  if (known) return new ClientError(known[0], `${what}: ${known[1]} (${reason})`, undefined, { cause: e });
  const code = (e as { code?: string }).code;
  if (code === "INSUFFICIENT_FUNDS")
    return new ClientError("INSUFFICIENT_FUNDS", `${what}: the wallet cannot pay for gas`, undefined, {
      cause: e,
    });
  return new ClientError("TRANSACTION_FAILED", `${what}: ${reason}`, undefined, { cause: e });
}
