#!/usr/bin/env node
// The `session` CLI: runs src/cli.ts through tsx (workspace packages are TypeScript source).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const tsx = createRequire(import.meta.url).resolve("tsx/cli");
// `session community …` has its own entry (src/community-cli.ts).
const community = process.argv[2] === "community";
const entry = join(here, "..", "src", community ? "community-main.ts" : "cli.ts");
const r = spawnSync(process.execPath, [tsx, entry, ...process.argv.slice(community ? 3 : 2)], {
  stdio: "inherit",
});
process.exit(r.status ?? 1);
