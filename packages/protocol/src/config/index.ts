// The user's own synced configs (profile, contacts, 1-to-1 conversations), Session's config
// messages over bt-encoding. Subpath `@session/protocol/config`.

// The user-profile config and its contacts / conversations

export { type ContactInfo, getContact, readContacts, removeContact, writeContact } from "./contacts.ts";
export {
  type ConvoVolatile,
  pruneStaleConvos,
  readConvos1to1,
  writeConvo1to1,
} from "./convo-info-volatile.ts";
export { UserConfig } from "./user-config.ts";
export { readUserProfile, type UserProfile, writeUserProfile } from "./user-profile.ts";
