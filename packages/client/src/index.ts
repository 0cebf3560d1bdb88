// @session/client: the Session SDK. One entry; everything below is public API (see README.md).

// Account and messages

export { SessionClient } from "./client.ts";
export type { ClientStats } from "./client-network.ts";
export type { NetworkOptions, SendOptions, SentMessage, SessionClientOptions } from "./client-options.ts";
export type { IncomingMessage } from "./messages.ts";
export type { UserConfigs } from "./state/user-configs.ts";

// Identity

export { createIdentity, type Identity, loadIdentity, restoreIdentity, saveIdentity } from "./identity.ts";

// Errors

export { causeChain, isRetryable, SessionError } from "@session/errors";
export { ClientError, type ClientErrorCode } from "./errors.ts";

// State (what a client remembers between runs)

export { MemoryClientStore } from "./state/memory-store.ts";
export { openSqliteStore, type SqliteClientStore } from "./state/sqlite-store.ts";
export type { ClientStore, ConfigDumpRecord, Conversation, NodeCache } from "./state/store.ts";

// Closed groups

export type { GroupInfo, GroupMember } from "@session/protocol/groups";
export type { Group } from "./groups/group.ts";
export type { GroupMessage, GroupSendOptions } from "./groups/group-message.ts";
export type { GroupPushRegistration } from "./groups/group-push.ts";
export type { GroupState } from "./groups/group-state.ts";
export { type GroupInvitation, Groups, type GroupsClient } from "./groups/groups.ts";

// Communities (SOGS)

export { Community } from "./community.ts";
export type { CommunityDm, CommunityMessage, PollResult } from "./community-messages.ts";
export {
  type CommunityRequester,
  type CommunityResponse,
  directRequester,
  onionRequester,
} from "./community-requester.ts";
export { type CommunityUrl, parseCommunityUrl } from "./community-url.ts";

// Attachments and push notifications (reached through `client.attachments` / `client.push`)

export type { PushNotificationContent } from "@session/protocol";
export { type AttachmentRef, type Attachments, type FileServerConfig, fromPointer } from "./attachments.ts";
export { openPushNotification, type Push, type PushRegistration, type PushServerConfig } from "./push.ts";

// Names: Session Name Service (registration on chain, resolution through onion paths)

export { checkName, checkSessionId, formatSesh } from "./name-checks.ts";
export { NameRegistry } from "./name-registry.ts";
export type {
  NameInfo,
  NameRegistryOptions,
  PendingRegistration,
  RegisterOptions,
  RegisterResult,
} from "./name-types.ts";
export { type OnionNameResolverOptions, onionNameResolver } from "./names.ts";

// Network internals, as types of `client.pool`, `client.transport`, `client.clock`

export type { NodeInfo } from "@session/protocol";
export type { NetworkClock } from "./network/clock.ts";
export type { NodePool } from "./network/nodes.ts";
export type { OnionTransport, RpcReply } from "./network/transport.ts";
