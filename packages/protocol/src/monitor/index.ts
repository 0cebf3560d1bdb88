// The monitor API (nodes → push server): wire schemas and a typed client. See docs/monitor.md.
export * from "./client.ts";
export * from "./schema.ts";
