// The service: configuration, app factory, fan-out

export { configFromEnv, envSchema, type PushEnv } from "./config.ts";
export { type AppDeps, createApp, fanOut, type PushServer } from "./server.ts";

// Subscriptions

export {
  openSubscriptionRepo,
  PgSubscriptionRepo,
  type PushService,
  SqliteSubscriptionRepo,
  type Subscription,
  type SubscriptionRepo,
} from "./db/repo.ts";
export { DeliveryError, type DeliveryErrorCode, SubscribeCode, SubscribeError } from "./domain/errors.ts";
export { subscribeOne, unsubscribeOne } from "./domain/subscribe.ts";

// Notifications: payload, queue, pending store

export {
  MemoryPendingStore,
  openPendingStore,
  type PendingNotification,
  type PendingStore,
  PgPendingStore,
  SqlitePendingStore,
} from "./db/pending.ts";
export { encryptNotification, type NotifyMessage } from "./domain/payload.ts";
export { NotificationQueue, type QueueOptions } from "./domain/queue.ts";

// Notifiers: APNs, FCM, log

export { ApnsNotifier, type ApnsOptions } from "./notifiers/apns.ts";
export {
  type ConnectTo,
  classifyFcmError,
  FcmNotifier,
  type FcmOptions,
  fcmHttpAgent,
  readServiceAccountFile,
  type ServiceAccount,
  serviceAccountSchema,
} from "./notifiers/fcm.ts";
export { LogNotifier } from "./notifiers/log.ts";
export type { Notifier, PushNotification } from "./notifiers/types.ts";

// Watching the swarms (monitor streams on the nodes)

export { indexerNodeSource, seedNodeSource, swarmMembers } from "./watcher/nodes.ts";
export { monitorSubscriptions, Watcher, type WatcherOptions } from "./watcher/watcher.ts";
