export * from "./builder.ts";
export * from "./layer.ts";
export * from "./layer-action.ts";
export * from "./node-link-frames.ts";
export * from "./relay.ts";
export * from "./routing.ts";
export * from "./v4.ts";
