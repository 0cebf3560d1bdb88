// The monitor API (nodes → push server): wire schemas and a typed client. See docs/monitor.md.
// Subpath `@session/protocol/monitor`; the node serves it, the push server consumes it.

// Paths, limits and error codes

export {
  MONITOR_EXPIRY_MS,
  MONITOR_MAX_SUBSCRIPTIONS_PER_REQUEST,
  MONITOR_SIG_MAX_AGE_MS,
  MONITOR_SIG_MAX_FUTURE_MS,
  MONITOR_STREAM_PATH,
  MONITOR_SUBSCRIBE_PATH,
  MonitorErrorCode,
} from "./schema.ts";

// Wire schemas and the signed string

export {
  type MonitorCloseEvent,
  type MonitorMessageEvent,
  type MonitorSubscribeResult,
  type MonitorSubscription,
  type MonitorSubscriptionJson,
  monitorMessageEventSchema,
  monitorSignatureMessage,
  monitorStreamRequestSchema,
  monitorSubscribedEventSchema,
  monitorSubscribeRequestSchema,
  monitorSubscriptionSchema,
} from "./schema.ts";

// Client: open the event stream, renew subscriptions

export {
  type MonitorStreamEvent,
  openMonitorStream,
  readMonitorEvents,
  renewMonitorSubscriptions,
} from "./client.ts";
