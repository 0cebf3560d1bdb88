export * from "./bt.ts";
export * from "./config-message.ts";
