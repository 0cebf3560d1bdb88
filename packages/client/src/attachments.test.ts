import { MAX_ATTACHMENT_SIZE } from "@session/crypto";
import { describe, expect, it } from "vitest";
import { Attachments } from "./attachments.ts";
import type { OnionTransport } from "./network/transport.ts";

describe("attachment size limit", () => {
  it("a file over the limit is refused before encrypting or uploading, naming the limit", async () => {
    const stages: string[] = [];
    const transport = {
      serverRequest: () => {
        throw new Error("must not upload");
      },
    } as unknown as OnionTransport;
    const a = new Attachments(transport, { url: "http://127.0.0.1:1", x25519: "00".repeat(32) });
    await expect(
      a.upload(new Uint8Array(MAX_ATTACHMENT_SIZE + 1), {}, (s) => stages.push(s)),
    ).rejects.toMatchObject({
      code: "ATTACHMENT_TOO_LARGE",
      message: expect.stringContaining(String(MAX_ATTACHMENT_SIZE)),
    });
    expect(stages).toEqual([]);
  });
});
