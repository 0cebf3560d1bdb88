import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_ATTACHMENT_SIZE } from "@session/crypto";
import { afterAll, describe, expect, it } from "vitest";
import { disappearOption, readAttachmentFile, saveUnique } from "./files.ts";

const dir = mkdtempSync(join(tmpdir(), "cli-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("CLI files", () => {
  it("saves attachments under unique names and never overwrites", () => {
    const out = join(dir, "downloads");
    const a = saveUnique(out, "report.txt", new TextEncoder().encode("one"));
    const b = saveUnique(out, "report.txt", new TextEncoder().encode("two"));
    const c = saveUnique(out, "../../etc/passwd", new TextEncoder().encode("three"));
    expect(a).toBe(join(out, "report.txt"));
    expect(b).toBe(join(out, "report (1).txt"));
    expect(c).toBe(join(out, "passwd"));
    expect(readFileSync(a, "utf8")).toBe("one");
    expect(readFileSync(b, "utf8")).toBe("two");
    expect(statSync(b).mode & 0o777).toBe(0o600);
    expect(saveUnique(out, ".hidden", new Uint8Array())).toBe(join(out, "_hidden"));
  });

  it("checks the file before sending, naming the problem", () => {
    expect(() => readAttachmentFile(join(dir, "missing.pdf"))).toThrow(
      `file not found: ${join(dir, "missing.pdf")}`,
    );
    expect(() => readAttachmentFile(dir)).toThrow(`not a file: ${dir}`);
    const big = join(dir, "big.bin");
    writeFileSync(big, new Uint8Array(MAX_ATTACHMENT_SIZE + 1));
    expect(() => readAttachmentFile(big)).toThrow(
      `attachment too large: ${big} is ${MAX_ATTACHMENT_SIZE + 1} bytes (limit ${MAX_ATTACHMENT_SIZE})`,
    );
    const ok = join(dir, "ok.txt");
    writeFileSync(ok, "hi");
    expect(readAttachmentFile(ok)).toMatchObject({
      fileName: "ok.txt",
      bytes: new TextEncoder().encode("hi"),
    });
  });

  it("parses disappearing options", () => {
    expect(disappearOption(undefined, false)).toBeUndefined();
    expect(disappearOption("30", false)).toEqual({ type: "after-send", seconds: 30 });
    expect(disappearOption("60", true)).toEqual({ type: "after-read", seconds: 60 });
    expect(() => disappearOption("1.5", false)).toThrow("--disappear takes whole seconds");
    expect(() => disappearOption(undefined, true)).toThrow("--after-read needs --disappear");
  });
});
