export * from "./bt.ts";
export * from "./config-message.ts";
export * from "./synced-config.ts";
export * from "./user-config.ts";
export * from "./zstd.ts";
