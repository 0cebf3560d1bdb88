export * from "./builder.ts";
export * from "./layer.ts";
export * from "./node-link.ts";
export * from "./process.ts";
export * from "./relay.ts";
export * from "./routing.ts";
export * from "./v4.ts";
