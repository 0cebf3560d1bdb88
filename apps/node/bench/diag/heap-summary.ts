/*
 * Sums V8 sampling heap profiles (bench/diag/heap-survivors.mjs writes them) by allocation site
 * and by the last frames of its stack, largest first:
 *
 *   npx tsx bench/diag/heap-summary.ts /tmp/survivors/<pid>-1.json /tmp/survivors/<pid>-2.json …
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize?: number;
  children?: ProfileNode[];
}

const bySite = new Map<string, number>();
const byStack = new Map<string, number>();
let total = 0;
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

function walk(node: ProfileNode, path: string[]): void {
  const f = node.callFrame;
  const name = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
  const here = [...path, name];
  if (node.selfSize) {
    total += node.selfSize;
    add(bySite, name, node.selfSize);
    add(byStack, here.slice(-6).reverse().join(" < "), node.selfSize);
  }
  for (const c of node.children ?? []) walk(c, here);
}

for (const file of process.argv.slice(2)) walk(JSON.parse(readFileSync(file, "utf8")).head, []);
const top = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}% ${k}`);
console.log(
  `${total} bytes sampled\n\nby site:\n${top(bySite).join("\n")}\n\nby stack:\n${top(byStack).join("\n")}`,
);
