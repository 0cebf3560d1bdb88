// The user's own synced configs (profile, contacts, 1-to-1 conversations), Session's config
// messages over bt-encoding. Subpath `@session/protocol/config`.

// The user-profile config and its contacts / conversations

export {
  type ContactInfo,
  type ConvoVolatile,
  getContact,
  pruneStaleConvos,
  readContacts,
  readConvos1to1,
  readUserProfile,
  removeContact,
  UserConfig,
  type UserProfile,
  writeContact,
  writeConvo1to1,
  writeUserProfile,
} from "./user-config.ts";
