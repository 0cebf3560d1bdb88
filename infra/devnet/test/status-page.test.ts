import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Devnet, startDevnet } from "../src/index.ts";

// Headless Debian Chromium (package `chromium`; .ci/run installs it when missing).
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
// Outside CI a machine without Chromium skips this suite; in CI a missing Chromium fails it, so a
// broken install cannot pass silently.
const requireChromium = process.env.CI === "true";

describe.skipIf(!haveChromium && !requireChromium)("devnet status page in headless Chromium", () => {
  let devnet: Devnet;
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), "devnet-status-"));
  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install Debian's chromium (CI requires this suite)`,
      );
    }
    devnet = await startDevnet({ nodes: 12, dataDir: dir, fileServer: false, pushServer: false });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await devnet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows nodes, swarms and message counts, and follows one onion request's path", async () => {
    const page = await browser.newPage();
    await page.goto(devnet.statusUrl);
    await expect.poll(() => page.locator("#nodes tr").count(), { timeout: 10_000 }).toBe(12);
    expect(await page.locator("#summary").textContent()).toContain("12 nodes in 2 swarms, 0 messages stored");
    await page.click("#trace");
    await page.locator("[data-dest]").waitFor({ timeout: 10_000 });
    expect(await page.locator(".hop[data-hop]").count()).toBe(3);
    const hops = await page.locator(".hop[data-hop]").allTextContents();
    expect(new Set(hops).size).toBe(3);
    // The traced message was stored in its swarm: the counts go up on refresh.
    await expect
      .poll(async () => (await page.locator("#summary").textContent()) ?? "", { timeout: 10_000 })
      .toMatch(/[1-9]\d* messages stored/);
  }, 60_000);
});
