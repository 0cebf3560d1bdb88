import { describe, expect, it } from "vitest";
import { FILE_ID_PATTERN, newFileId, parseFileId } from "./ids.ts";

describe("file ids", () => {
  it("are 44 URL-safe characters and do not repeat", () => {
    const ids = new Set(Array.from({ length: 2000 }, newFileId));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(FILE_ID_PATTERN);
    expect(parseFileId([...ids][0]!)).toBe([...ids][0]);
    expect(() => parseFileId("../../etc/passwd")).toThrow(/invalid file id/);
  });
});
