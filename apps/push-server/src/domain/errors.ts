/**
 * Result codes of session-push-notification-server (`spns/hive/subscription.hpp` SUBSCRIBE enum):
 * clients read `{"error": code, "message"}` bodies with these numbers.
 */
export const SubscribeCode = {
  OK: 0,
  BAD_INPUT: 1,
  SERVICE_NOT_AVAILABLE: 2,
  SERVICE_TIMEOUT: 3,
  ERROR: 4,
  INTERNAL_ERROR: 5,
} as const;
export type SubscribeCode = (typeof SubscribeCode)[keyof typeof SubscribeCode];

export class SubscribeError extends Error {
  constructor(
    readonly code: SubscribeCode,
    message: string,
  ) {
    super(message);
    this.name = "SubscribeError";
  }
}
