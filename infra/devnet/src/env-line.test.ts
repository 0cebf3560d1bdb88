import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { envLine } from "./env-line.ts";

describe("envLine", () => {
  it("exports the seed and the file server so a shell can source it as is", () => {
    const seed = "https://127.0.0.1:4433#sha256=AB:CD";
    const line = envLine({ seed, fileServer: { url: "http://127.0.0.1:8080", x25519: "ab".repeat(32) } });
    expect(line).toBe(
      `export SESSION_NETWORK='${seed}' SESSION_FILE_SERVER=http://127.0.0.1:8080 SESSION_FILE_SERVER_KEY=${"ab".repeat(32)}`,
    );
    // The shell reads back exactly the values.
    const out = execFileSync(
      "sh",
      ["-c", `${line}; printf '%s|%s' "$SESSION_NETWORK" "$SESSION_FILE_SERVER_KEY"`],
      {
        encoding: "utf8",
      },
    );
    expect(out).toBe(`${seed}|${"ab".repeat(32)}`);
    expect(envLine({ seed: "http://x:1" })).toBe("export SESSION_NETWORK=http://x:1");
    // The chain and deployment file, for `session name`.
    expect(
      envLine({
        seed: "http://x:1",
        chainUrl: "http://127.0.0.1:8545",
        deploymentFile: "/tmp/a b/devnet.json",
      }),
    ).toBe(
      "export SESSION_NETWORK=http://x:1 SESSION_RPC_URL=http://127.0.0.1:8545 SESSION_DEPLOYMENT_FILE='/tmp/a b/devnet.json'",
    );
    expect(
      execFileSync("sh", ["-c", `${envLine({ seed: "it's" })}; printf %s "$SESSION_NETWORK"`], {
        encoding: "utf8",
      }),
    ).toBe("it's");
  });
});
