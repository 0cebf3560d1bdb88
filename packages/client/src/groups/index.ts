export {
  Group,
  type GroupMessage,
  type GroupNetwork,
  type GroupSendOptions,
  type GroupState,
  inviteSignatureMessage,
} from "./group.ts";
export { type GroupInvitation, Groups, type GroupsClient } from "./groups.ts";
