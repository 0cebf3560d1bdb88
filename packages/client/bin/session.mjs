#!/usr/bin/env node
// The `session` CLI: runs src/cli.ts through tsx (workspace packages are TypeScript source).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const tsx = createRequire(import.meta.url).resolve("tsx/cli");
// `session community …` and `session group …` have their own entries (src/community-cli.ts,
// src/groups/cli.ts).
const own = new Map([
  ["community", "community-main.ts"],
  ["group", "group-main.ts"],
]).get(process.argv[2] ?? "");
const entry = join(here, "..", "src", own ?? "cli.ts");
const r = spawnSync(process.execPath, [tsx, entry, ...process.argv.slice(own ? 3 : 2)], {
  stdio: "inherit",
});
process.exit(r.status ?? 1);
