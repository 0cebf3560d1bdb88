// The monitor API as other packages (the push server) use it: wire schemas and a typed client.
export * from "./client.ts";
export * from "./schema.ts";
