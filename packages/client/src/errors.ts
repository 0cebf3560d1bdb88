/** Stable codes for what can go wrong in the SDK. */
export type ClientErrorCode =
  | "NO_IDENTITY"
  | "IDENTITY_EXISTS"
  | "BAD_RECIPIENT"
  | "NETWORK_UNAVAILABLE"
  | "NOT_ENOUGH_NODES"
  | "REQUEST_FAILED"
  | "NAME_RESOLUTION_UNAVAILABLE"
  | "NAME_NOT_FOUND"
  | "BAD_NOTIFICATION"
  | "BAD_COMMUNITY_URL"
  // Closed groups
  | "GROUP_FULL"
  | "GROUP_NOT_FOUND"
  | "NOT_GROUP_ADMIN"
  | "NOT_GROUP_MEMBER"
  | "BAD_GROUP_NAME"
  | "BAD_INVITATION";

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
