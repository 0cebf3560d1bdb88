export * from "./assign.ts";
export * from "./node-info.ts";
export * from "./seed.ts";
export * from "./service-nodes.ts";
export * from "./space.ts";
