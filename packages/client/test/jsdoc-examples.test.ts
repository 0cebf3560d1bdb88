/**
 * The SDK's documentation is checked like code: every function and class the entry exports has a
 * JSDoc `@example`, and the examples written in this package type-check against the real API (they
 * are compiled as modules importing "@session/client", with the prelude below in scope).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = join(pkg, "src/index.ts");

/** Names the examples may use without defining them: what a reader already has at hand. */
const PRELUDE: Record<string, string> = {
  client: "sdk.SessionClient",
  me: "sdk.Identity",
  bobId: "string",
  recoveryPhrase: "string",
  link: "string",
  deviceToken: "string",
  encPayload: "string",
  walletKey: "string",
  snsAddress: "string",
};

/** The example as a module: the prelude's names it does not define itself are declared. */
function exampleModule(code: string): string {
  const declared = Object.entries(PRELUDE)
    .filter(([name]) => !new RegExp(`\\b(const|let) ${name}\\b`).test(code))
    .map(([name, type]) => `declare const ${name}: ${type};`);
  return ['import type * as sdk from "@session/client";', ...declared, code, "export {};", ""].join("\n");
}

function compilerOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(pkg, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (!parsed) throw new Error("tsconfig.json did not parse");
  return parsed.options;
}

interface Example {
  owner: string;
  code: string;
}

/** Exported value names of the entry with their declaration, and the examples found on them. */
function readEntry(program: ts.Program): { missing: string[]; examples: Example[] } {
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(entry);
  const moduleSymbol = sf && checker.getSymbolAtLocation(sf);
  if (!moduleSymbol) throw new Error("src/index.ts is not a module");
  const missing: string[] = [];
  const examples: Example[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (!(target.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class | ts.SymbolFlags.Variable)))
      continue;
    // `export type { X }` of a class: users receive it (client.pool, …), they do not call it
    const spec = exported.declarations?.[0];
    if (spec && ts.isExportSpecifier(spec) && (spec.isTypeOnly || spec.parent.parent.isTypeOnly)) continue;
    const decl = target.declarations?.[0];
    if (!decl) continue;
    const tags = ts.getJSDocTags(ts.isVariableDeclaration(decl) ? decl.parent.parent : decl);
    const found = tags.filter((t) => t.tagName.text === "example");
    if (found.length === 0) missing.push(exported.name);
    if (!decl.getSourceFile().fileName.startsWith(join(pkg, "src"))) continue;
    for (const tag of found) {
      const text = ts.getTextOfJSDocComment(tag.comment) ?? "";
      const code = /```ts\n([\s\S]*?)```/.exec(text)?.[1];
      if (code === undefined) missing.push(`${exported.name} (its example is not a \`\`\`ts block)`);
      else examples.push({ owner: exported.name, code });
    }
  }
  return { missing, examples };
}

describe("SDK JSDoc examples", () => {
  const options = compilerOptions();
  const base = ts.createProgram([entry], options);
  const { missing, examples } = readEntry(base);

  it("every exported function and class has an @example", () => {
    expect(missing).toEqual([]);
    expect(examples.length).toBeGreaterThan(15);
  });

  it("the examples type-check against the SDK", () => {
    const files = new Map(
      examples.map((e, i) => [join(pkg, `src/__example_${i}_${e.owner}.ts`), exampleModule(e.code)]),
    );
    const host = ts.createCompilerHost(options);
    const { fileExists, readFile, getSourceFile } = host;
    host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
    host.readFile = (f) => files.get(f) ?? readFile.call(host, f);
    host.getSourceFile = (f, lang, ...rest) => {
      const text = files.get(f);
      return text === undefined
        ? getSourceFile.call(host, f, lang, ...rest)
        : ts.createSourceFile(f, text, lang, true, ts.ScriptKind.TS);
    };
    const program = ts.createProgram([...files.keys()], options, host, base);
    const errors = [...files.keys()].flatMap((f) =>
      ts
        .getPreEmitDiagnostics(program, program.getSourceFile(f))
        .map((d) => `${f.slice(pkg.length + 1)}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`),
    );
    expect(errors).toEqual([]);
  }, 120_000);
});
