import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, json, startHarness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** Every answer to arbitrary input is a typed client error with the standard body, never a 5xx. */
describe("arbitrary input", () => {
  it("ids in every route give 400 or 404 with an error code", async () => {
    const app = (await import("../src/server.ts")).createApp(h.deps);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 80 }),
        fc.constantFrom("", "/info", "/extend"),
        async (raw, suffix) => {
          const path = `/file/${encodeURIComponent(raw)}${suffix}`;
          const res = await app.request(path, { method: suffix === "/extend" ? "POST" : "GET" });
          expect([400, 404]).toContain(res.status);
          expect(typeof (await json(res)).error.code).toBe("string");
        },
      ),
      { numRuns: 200 },
    );
  });

  it("X-FS-TTL values give 200 or 403 INVALID_TTL", async () => {
    const app = (await import("../src/server.ts")).createApp(h.deps);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 20 }), fc.double().map(String), fc.integer().map(String)),
        async (ttl) => {
          let res: Response;
          try {
            res = await app.request("/file", {
              method: "POST",
              body: new Uint8Array([1]),
              headers: { "x-fs-ttl": ttl },
            });
          } catch {
            return; // a header value fetch itself refuses (e.g. a newline) never reaches us
          }
          if (res.status !== 200) {
            expect(res.status).toBe(403);
            expect((await json(res)).error.code).toBe("INVALID_TTL");
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("legacy JSON bodies give 200 or 400", async () => {
    const app = (await import("../src/server.ts")).createApp(h.deps);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.json()), async (body) => {
        const res = await app.request("/files", {
          method: "POST",
          body,
          headers: { "content-type": "application/json" },
        });
        expect([200, 400]).toContain(res.status);
      }),
      { numRuns: 100 },
    );
  });
});
