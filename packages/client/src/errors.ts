/** Stable codes for what can go wrong in the SDK. */
export type ClientErrorCode =
  | "NO_IDENTITY"
  | "BAD_SEED"
  | "IDENTITY_EXISTS"
  | "BAD_RECIPIENT"
  | "NETWORK_UNAVAILABLE"
  | "NOT_ENOUGH_NODES"
  | "REQUEST_FAILED"
  | "NAME_RESOLUTION_UNAVAILABLE"
  | "NAME_NOT_FOUND"
  | "BAD_NOTIFICATION"
  | "BAD_COMMUNITY_URL";

export class ClientError extends Error {
  override readonly name = "ClientError";
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
