import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keypairFromSeed } from "@session/crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAdmin } from "../src/admin-cli.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "community-admin-"));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const run = async (...args: string[]) => {
  const lines: string[] = [];
  await runAdmin([...args, "--data-dir", dir], (l) => lines.push(l));
  return lines.join("\n");
};

describe("admin CLI", () => {
  it("creates rooms, changes settings, adds moderators and bans", async () => {
    expect(await run("add-room", "lobby", "Lobby", "--description", "hi")).toMatch(
      /^created lobby: http:\/\/127\.0\.0\.1:8090\/lobby\?public_key=[0-9a-f]{64}$/,
    );
    expect(await run("rooms")).toContain("lobby\tLobby\t");
    expect(await run("room-settings", "lobby", "--no-write", "--name", "Quiet")).toBe("updated lobby");
    const sid = keypairFromSeed(new Uint8Array(32).fill(3)).sessionId;
    expect(await run("add-moderator", sid, "--room", "lobby", "--admin")).toBe("admin added");
    expect(await run("ban", `15${"ab".repeat(32)}`, "--room", "lobby", "--timeout", "60")).toBe("banned");
    expect(await run("unban", `15${"ab".repeat(32)}`, "--room", "lobby")).toBe("unbanned");
    await expect(run("ban", sid)).rejects.toThrow("give --room <token> or --global");
    await expect(run("add-room", "bad token!", "x")).rejects.toThrow(/room token/);
    await expect(run("ban", "zz", "--global")).rejects.toThrow("Invalid Session ID");
    expect(await run("delete-room", "lobby")).toBe("deleted lobby");
  });
});
