import { describe, expect, it } from "vitest";
import { closedWithin, type RawResponse, rawConnect, rssBytes, sendOversizedBody } from "../raw-http.ts";

const MB = 1024 * 1024;

export interface ConnectionLimitTarget {
  /** Base URL of the server under test (read when the tests run, after it started). */
  url: () => string;
  /** The request line sent with headers that never end, e.g. "POST /file". */
  requestLine: string;
  /** Connections one address may hold (the server's per-address cap). */
  perAddress: number;
  /**
   * What the server counts as open from an address (RunningServer.openConnectionsFrom): when
   * given, the cap test ends once the server has seen its connections close, so the next test
   * from the same address is not refused.
   */
  openConnectionsFrom?: (address: string) => number;
}

/**
 * The connection limits every service shares (service-kit's connection-limits.ts behind its
 * real listener): a request whose headers never finish is answered 408 and closed, and the
 * connection past the per-address cap is closed unanswered.
 */
export function describeConnectionLimits(name: string, target: ConnectionLimitTarget): void {
  describe(`${name} connection limits`, () => {
    it("closes a connection whose headers do not arrive in time", async () => {
      const s = await rawConnect(target.url());
      s.write(`${target.requestLine} HTTP/1.1\r\nHost: x\r\n`);
      const t = setInterval(() => s.write("X-Slow: 1\r\n"), 50);
      try {
        expect(await closedWithin(s, 5_000)).toMatch(/^HTTP\/1\.1 408/);
      } finally {
        clearInterval(t);
      }
    });

    it(`refuses connection ${target.perAddress + 1} from one address`, async () => {
      const held = await Promise.all(
        Array.from({ length: target.perAddress }, () => rawConnect(target.url())),
      );
      const extra = await rawConnect(target.url());
      expect(await closedWithin(extra, 2_000)).toBe("");
      for (const s of held) s.destroy();
      await Promise.all(held.map((s) => closedWithin(s, 2_000)));
      if (target.openConnectionsFrom) {
        const count = target.openConnectionsFrom;
        await expect.poll(() => count("127.0.0.1"), { timeout: 5000, interval: 10 }).toBe(0);
      }
    });
  });
}

/**
 * Sends a 150 MB chunked body to each URL at once, `rounds` times (a round's connections may
 * still be closing when the next starts, so a round stays within the per-address cap), and
 * returns the answers and how much the process's RSS grew: a server that reads bodies whole
 * grows by the body size, one that stops at its limit does not.
 */
export async function concurrentOversizedBodies(
  urls: readonly string[],
  rounds = 2,
): Promise<{ responses: RawResponse[]; rssGrowth: number }> {
  const before = rssBytes();
  const responses: RawResponse[] = [];
  for (let round = 0; round < rounds; round++)
    responses.push(
      ...(await Promise.all(urls.map((u) => sendOversizedBody(u, { framing: "chunked", bytes: 150 * MB })))),
    );
  return { responses, rssGrowth: rssBytes() - before };
}
