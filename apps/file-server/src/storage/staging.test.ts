import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProtocolError } from "@session/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resetStagingDir, stageUpload } from "./staging.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fs-stage-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function streamOf(chunks: Uint8Array[], failAfter?: number): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (failAfter !== undefined && i === failAfter) {
        c.error(new Error("connection reset"));
        return;
      }
      const next = chunks[i++];
      if (next) c.enqueue(next);
      else c.close();
    },
  });
}

describe("stageUpload", () => {
  it("writes the bytes, counts them and hashes them", async () => {
    const chunks = [new Uint8Array(1000).fill(1), new Uint8Array(24).fill(2)];
    const staged = await stageUpload(streamOf(chunks), { dir, maxBytes: 1024 });
    expect(staged.size).toBe(1024);
    const bytes = await readFile(staged.path);
    expect(bytes.length).toBe(1024);
    expect(staged.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    await staged.discard();
    expect(await readdir(dir)).toEqual([]);
  });

  it("stops at maxBytes + 1 with PAYLOAD_TOO_LARGE and removes the temp file", async () => {
    const err = await stageUpload(streamOf([new Uint8Array(1024), new Uint8Array(1)]), {
      dir,
      maxBytes: 1024,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe("PAYLOAD_TOO_LARGE");
    expect(await readdir(dir)).toEqual([]);
  });

  it("removes the temp file when the body stream fails", async () => {
    const err = await stageUpload(streamOf([new Uint8Array(10), new Uint8Array(10)], 1), {
      dir,
      maxBytes: 100,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("connection reset");
    expect(await readdir(dir)).toEqual([]);
  });

  it("resetStagingDir clears leftovers from a crash", async () => {
    await writeFile(join(dir, "abc.part"), "half");
    expect(await resetStagingDir(dir)).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });
});
