#!/usr/bin/env node
// `pnpm bench`: runs every workspace package's `bench` script one after another (benchmarks must
// not compete for the two cores), keeps their output, and writes one summary table of the lines
// that carry figures to bench-results.md (and stdout).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const dirs = ["packages", "apps", "infra"].flatMap((d) =>
  existsSync(join(root, d)) ? readdirSync(join(root, d)).map((x) => join(d, x)) : [],
);
dirs.push("contracts");
const figure =
  /(ops\/s|req\/s|events\/s|blocks\/s|MB\/s|MiB\/s|messages\/s|hops\/s|notifications\/s|µs\/req|p50|p99|median|gas)/i;
const rows = [];
let failed = 0;
for (const dir of dirs) {
  const pkgPath = join(root, dir, "package.json");
  if (!existsSync(pkgPath)) continue;
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
  if (!pkg.scripts?.bench) continue;
  process.stderr.write(`\n=== ${pkg.name} (pnpm bench) ===\n`);
  const r = spawnSync("pnpm", ["--filter", pkg.name, "bench"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  process.stderr.write(r.stdout ?? "");
  if (r.status !== 0) {
    failed++;
    process.stderr.write(r.stderr ?? "");
    rows.push([pkg.name, "(benchmark failed)"]);
    continue;
  }
  for (const line of (r.stdout ?? "").split("\n")) {
    const t = line.replace(/\x1b\[[0-9;]*m/g, "").trim();
    // Hardhat's gas table: keep "function: median gas" rows.
    if (t.includes("│")) {
      const cells = t
        .replace(/║/g, "")
        .split("│")
        .map((c) => c.trim());
      if (cells.length >= 5 && /^[A-Za-z_]\w*$/.test(cells[0]) && /^\d+$/.test(cells[3] ?? "")) {
        rows.push([pkg.name, `${cells[0]}: median ${cells[3]} gas`]);
      }
      continue;
    }
    if (t && figure.test(t) && !t.startsWith(">") && t.length < 320)
      rows.push([pkg.name, t.replace(/\|/g, "/")]);
  }
}
const table = [
  "# Benchmark summary",
  "",
  `Run ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}.`,
  "",
  "| package | figure |",
  "| --- | --- |",
  ...rows.map(([p, l]) => `| ${p} | ${l} |`),
  "",
].join("\n");
writeFileSync(join(root, "bench-results.md"), table);
process.stdout.write(`\n${table}`);
process.exit(failed ? 1 : 0);
