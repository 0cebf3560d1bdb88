export * from "./bt.ts";
export * from "./config-message.ts";
export * from "./group-config.ts";
export * from "./keys.ts";
export * from "./zstd.ts";
