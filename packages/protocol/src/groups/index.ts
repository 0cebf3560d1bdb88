// The config machinery groups are built on lives in ../config (shared with the user's own configs).
export * from "../config/bt.ts";
export * from "../config/config-message.ts";
export * from "../config/synced-config.ts";
export * from "../config/zstd.ts";
export * from "./group-config.ts";
export * from "./keys.ts";
