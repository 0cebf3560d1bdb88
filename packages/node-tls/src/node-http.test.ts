import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeHttp } from "./node-http.ts";
import { selfSignedServer } from "./testing.ts";

let server: Awaited<ReturnType<typeof selfSignedServer>>;
beforeAll(async () => {
  server = await selfSignedServer('{"ok":true}');
});
afterAll(() => server.close());

describe("nodeHttp", () => {
  it("reaches a node serving a self-signed certificate", async () => {
    const node = nodeHttp();
    try {
      const res = await node.fetch(`${server.url}/info`);
      expect(await res.json()).toEqual({ ok: true });
    } finally {
      await node.close();
    }
  });

  it("leaves every other fetch verifying certificates", async () => {
    const node = nodeHttp();
    try {
      await node.fetch(`${server.url}/info`);
      // The global fetch (and so any fetch the caller did not build from nodeHttp) still refuses it.
      const err = await fetch(`${server.url}/info`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String((err as { cause?: { code?: string } })?.cause?.code)).toMatch(
        /SELF_SIGNED|UNABLE_TO_VERIFY/,
      );
    } finally {
      await node.close();
    }
  });
});
