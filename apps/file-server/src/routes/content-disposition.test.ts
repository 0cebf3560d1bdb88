import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dispositionFor, filenameFromDisposition } from "./content-disposition.ts";

describe("Content-Disposition", () => {
  it("reads filename* before filename, and quoted or bare names", () => {
    expect(filenameFromDisposition(`attachment; filename="a.txt"; filename*=UTF-8''%C3%A9t%C3%A9.txt`)).toBe(
      "été.txt",
    );
    expect(filenameFromDisposition('attachment; filename="say \\"hi\\".txt"')).toBe('say "hi".txt');
    expect(filenameFromDisposition("attachment; filename=plain.bin")).toBe("plain.bin");
    expect(filenameFromDisposition("attachment")).toBeNull();
    expect(filenameFromDisposition(undefined)).toBeNull();
  });

  it("strips path separators and control characters, refuses dot names", () => {
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"')).toBe(".._.._etc_passwd");
    expect(filenameFromDisposition("attachment; filename*=UTF-8''a%0Ab")).toBe("a_b");
    expect(filenameFromDisposition('attachment; filename=".."')).toBeNull();
    expect(filenameFromDisposition("attachment; filename*=UTF-8''%E0%A4%A")).toBeNull();
  });

  it("round-trips any name through the download header", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 80 }), (name) => {
        const cleaned = filenameFromDisposition(dispositionFor(name));
        const again = cleaned === null ? null : filenameFromDisposition(dispositionFor(cleaned));
        expect(again).toBe(cleaned);
      }),
    );
  });

  it("never throws on arbitrary header text", () => {
    fc.assert(
      fc.property(fc.string(), (h) => {
        const out = filenameFromDisposition(h);
        expect(out === null || (out.length > 0 && out.length <= 255)).toBe(true);
      }),
    );
  });
});
