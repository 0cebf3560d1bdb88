import { codedErrorClass } from "@session/errors";

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

/** A numeric spns code; retryable when the service timed out or failed inside (not the request's fault). */
export class SubscribeError extends codedErrorClass<SubscribeCode>(
  "SubscribeError",
  (code) => code === SubscribeCode.SERVICE_TIMEOUT || code === SubscribeCode.INTERNAL_ERROR,
) {}

export type DeliveryErrorCode = "INVALID_TOKEN" | "DELIVERY_FAILED";

/**
 * A provider did not take one notification. INVALID_TOKEN: the token is gone (app uninstalled,
 * token rotated), so its subscriptions are dropped and no retry can help; DELIVERY_FAILED:
 * temporary (provider down, throttled, 5xx, unreachable), tried again later. The message is the
 * provider's reason, as the queue logs and records it.
 */
export class DeliveryError extends codedErrorClass<DeliveryErrorCode>(
  "DeliveryError",
  (code) => code !== "INVALID_TOKEN",
) {}
