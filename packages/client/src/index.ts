export { causeChain, isRetryable, SessionError } from "@session/errors";
export type { PushNotificationContent } from "@session/protocol";
export { type AttachmentRef, Attachments, type FileServerConfig, fromPointer } from "./attachments.ts";
export { type SendOptions, type SentMessage, SessionClient, type SessionClientOptions } from "./client.ts";
export {
  Community,
  type CommunityDm,
  type CommunityMessage,
  type CommunityRequester,
  type CommunityUrl,
  directRequester,
  onionRequester,
  type PollResult,
  parseCommunityUrl,
} from "./community.ts";
export { ClientError, type ClientErrorCode } from "./errors.ts";
export * from "./groups/index.ts";
export { createIdentity, type Identity, loadIdentity, restoreIdentity, saveIdentity } from "./identity.ts";
export type { IncomingMessage } from "./messages.ts";
export {
  checkName,
  checkSessionId,
  formatSesh,
  type NameInfo,
  NameRegistry,
  type NameRegistryOptions,
  type RegisterResult,
} from "./name-registry.ts";
export { type OnionNameResolverOptions, onionNameResolver } from "./names.ts";
export { NetworkClock } from "./network/clock.ts";
export { NodePool } from "./network/nodes.ts";
export { OnionTransport } from "./network/transport.ts";
export { openPushNotification, Push, type PushRegistration, type PushServerConfig } from "./push.ts";
export { MemoryClientStore } from "./state/memory-store.ts";
export { openSqliteStore, SqliteClientStore, statePath } from "./state/sqlite-store.ts";
export type { ClientStore, ConfigDumpRecord, Conversation, NodeCache } from "./state/store.ts";
