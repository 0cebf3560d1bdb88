// Closed groups (v2): the group config (info, members) and the group keys that encrypt group
// messages. Built on the config machinery in ../config. Subpath `@session/protocol/groups`.

// Group config: info and members

export {
  GROUP_MAX_MEMBERS,
  GroupConfig,
  type GroupInfo,
  type GroupMember,
  GroupNamespace,
  readInfo,
  readMembers,
  removeMember,
  writeInfo,
  writeMember,
} from "./group-config.ts";

// Group keys and message encryption

export { decryptGroupMessage, encryptGroupMessage, GroupKeys } from "./keys.ts";
