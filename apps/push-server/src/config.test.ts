import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configFromEnv } from "./config.ts";

const dir = mkdtempSync(join(tmpdir(), "push-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe("config", () => {
  it("parses defaults and seed lists", () => {
    const c = configFromEnv({ SEED_NODES: "http://a:1, http://b:2" }, "throw");
    expect(c.SEED_NODES).toEqual(["http://a:1", "http://b:2"]);
    const fp = "ab".repeat(32);
    expect(
      configFromEnv({ SEED_NODES: `https://seed.example:4443/#sha256=${fp}` }, "throw").SEED_NODES,
    ).toEqual([`https://seed.example:4443#sha256=${"AB:".repeat(31)}AB`]);
    expect(c.FIREBASE_NOTIFIER).toBe("log");
    expect(c.NODES_PER_ACCOUNT).toBe(2);
  });

  it("names every bad variable", () => {
    expect(() => configFromEnv({ PORT: "x" }, "throw")).toThrow(/PORT/);
    expect(() => configFromEnv({}, "throw")).toThrow(/SEED_NODES[\s\S]*or INDEXER_URL is required/);
    // An https seed must carry its certificate pin.
    expect(() => configFromEnv({ SEED_NODES: "https://seed.example:4443" }, "throw")).toThrow(
      /SEED_NODES: https seed https:\/\/seed.example:4443 has no certificate pin/,
    );
    expect(configFromEnv({ INDEXER_URL: "http://127.0.0.1:8090" }, "throw").SEED_NODES).toEqual([]);
    expect(() => configFromEnv({ SEED_NODES: "http://a:1", FIREBASE_NOTIFIER: "fcm" }, "throw")).toThrow(
      /FCM_SERVICE_ACCOUNT_FILE: FCM_SERVICE_ACCOUNT_FILE is required with FIREBASE_NOTIFIER=fcm/,
    );
    expect(() => configFromEnv({ SEED_NODES: "http://a:1", PUSH_X25519_SECRET_KEY: "zz" }, "throw")).toThrow(
      /PUSH_X25519_SECRET_KEY: must be 64 hex digits/,
    );
  });

  it("checks the FCM service account, relay address and extra CA at start", () => {
    const base = { SEED_NODES: "http://a:1", FIREBASE_NOTIFIER: "fcm" };
    const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
      type: "pkcs8",
      format: "pem",
    });
    const good = file(
      "sa.json",
      JSON.stringify({ project_id: "p", client_email: "a@p.iam.gserviceaccount.com", private_key: key }),
    );
    const c = configFromEnv(
      { ...base, FCM_SERVICE_ACCOUNT_FILE: good, FCM_CONNECT_TO: "127.0.0.1:8443" },
      "throw",
    );
    expect(c.FCM_CONNECT_TO).toEqual({ host: "127.0.0.1", port: 8443 });
    expect(
      configFromEnv({ ...base, FCM_SERVICE_ACCOUNT_FILE: good, FCM_CONNECT_TO: "[::1]:443" }, "throw")
        .FCM_CONNECT_TO,
    ).toEqual({ host: "::1", port: 443 });
    expect(() =>
      configFromEnv({ ...base, FCM_SERVICE_ACCOUNT_FILE: join(dir, "none.json") }, "throw"),
    ).toThrow(/FCM_SERVICE_ACCOUNT_FILE: cannot read service account JSON/);
    const noEmail = file("no-email.json", JSON.stringify({ project_id: "p", private_key: key }));
    expect(() => configFromEnv({ ...base, FCM_SERVICE_ACCOUNT_FILE: noEmail }, "throw")).toThrow(
      /FCM_SERVICE_ACCOUNT_FILE: service account .*client_email/,
    );
    const badKey = file(
      "bad-key.json",
      JSON.stringify({ project_id: "p", client_email: "a@b", private_key: "x" }),
    );
    expect(() => configFromEnv({ ...base, FCM_SERVICE_ACCOUNT_FILE: badKey }, "throw")).toThrow(
      /private_key must be an RSA private key/,
    );
    expect(() =>
      configFromEnv({ ...base, FCM_SERVICE_ACCOUNT_FILE: good, FCM_CONNECT_TO: "nohost" }, "throw"),
    ).toThrow(/FCM_CONNECT_TO: must be host:port/);
    expect(() =>
      configFromEnv({ ...base, FCM_SERVICE_ACCOUNT_FILE: good, FCM_CONNECT_TO: "h:70000" }, "throw"),
    ).toThrow(/FCM_CONNECT_TO: port must be 1..65535/);
    expect(() =>
      configFromEnv(
        { ...base, FCM_SERVICE_ACCOUNT_FILE: good, FCM_EXTRA_CA_FILE: file("ca.txt", "hello") },
        "throw",
      ),
    ).toThrow(/FCM_EXTRA_CA_FILE: must hold a PEM certificate/);
    expect(() =>
      configFromEnv({ ...base, FCM_SERVICE_ACCOUNT_FILE: good, FCM_ACCESS_TOKEN: "ya29.x" }, "throw"),
    ).toThrow(/FCM_ACCESS_TOKEN is no longer used/);
  });
});
