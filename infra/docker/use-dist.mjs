// Points a deployed app (pnpm deploy output) at its compiled JavaScript: in the app's and every
// workspace package's package.json, "./src/<x>.ts" in exports/bin becomes "./dist/<x>.js". In the
// repo they point at TypeScript source so tests and dev runs need no build. Fails on a missing file.
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const [dir] = process.argv.slice(2);
if (!dir) throw new Error("usage: node use-dist.mjs <deployed app dir>");

const toDist = (pkgDir, v) => {
  if (typeof v === "string") {
    const m = /^\.\/src\/(.+)\.ts$/.exec(v);
    if (!m) return v;
    const js = `./dist/${m[1]}.js`;
    if (!existsSync(join(pkgDir, js))) throw new Error(`${pkgDir}: ${js} missing (was the build run?)`);
    return js;
  }
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toDist(pkgDir, x)]));
  return v;
};

const pkgJsons = [join(dir, "package.json")];
const scoped = join(dir, "node_modules", "@session");
if (existsSync(scoped))
  for (const d of readdirSync(scoped)) pkgJsons.push(join(realpathSync(join(scoped, d)), "package.json"));
for (const file of pkgJsons) {
  const pkg = JSON.parse(readFileSync(file, "utf8"));
  for (const field of ["exports", "bin", "main"])
    if (pkg[field]) pkg[field] = toDist(dirname(file), pkg[field]);
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
}
