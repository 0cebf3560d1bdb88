import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createIdentity, fromPointer, SessionClient } from "../src/index.ts";
import { devnetForSuite } from "./helpers.ts";

const net = devnetForSuite("client-att", { nodes: 6, pushServer: false });

const client = async () => {
  const c = new SessionClient({
    identity: createIdentity(),
    seeds: [net.devnet.seed],
    fileServer: net.devnet.fileServer!,
  });
  await c.connect();
  return c;
};

describe("attachments through 3-hop paths to the file server", () => {
  it("upload, send the pointer, download and verify", async () => {
    const alice = await client();
    const bob = await client();
    const photo = new Uint8Array(randomBytes(200_000));
    const stages: string[] = [];
    const ref = await alice.attachments.upload(
      photo,
      { fileName: "cat.jpg", contentType: "image/jpeg" },
      (s) => stages.push(s),
    );
    expect(stages).toEqual(["encrypting", "uploading", "done"]);
    await alice.sendAttachment(bob.sessionId, ref, "a cat");
    let got: Awaited<ReturnType<typeof bob.poll>>[number] | undefined;
    for (let i = 0; i < 50 && !got; i++) got = (await bob.poll()).find((m) => m.text === "a cat");
    const pointer = got!.content.dataMessage!.attachments![0]!;
    expect(pointer.fileName).toBe("cat.jpg");
    const downloaded = await bob.attachments.download(fromPointer(pointer)!);
    expect(Buffer.from(downloaded).equals(Buffer.from(photo))).toBe(true);
    // A wrong digest is refused.
    const bad = { ...fromPointer(pointer)!, digest: new Uint8Array(32) };
    await expect(bob.attachments.download(bad)).rejects.toMatchObject({ code: "DECRYPT_FAILED" });
    await expect(bob.attachments.download({ id: "Z".repeat(44), key: ref.key })).rejects.toMatchObject({
      code: "REQUEST_FAILED",
      status: 404,
    });
  }, 60_000);
});
