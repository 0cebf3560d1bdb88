export * from "./monitor/index.ts";
