export * from "./codec.ts";
export { SIGNAL_SERVICE_PROTO } from "./schema.ts";
