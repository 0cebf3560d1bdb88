// The indexer process stops on SIGTERM well inside an orchestrator's grace period (`docker stop`
// sends SIGKILL after 10 s), exit status 0, even with clients holding connections open and its
// follower stuck in a database call that cannot be aborted: a PostgreSQL write waiting on a lock
// another session holds.
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runService } from "@session/service-kit/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainFixture, type Fixture } from "./chain-fixture.ts";

const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const main = join(import.meta.dirname, "..", "src", "main.ts");
/** Well under docker's 10 s; the indexer's own budget is about 3 s. */
const STOP_WITHIN_MS = 5_000;

let f: Fixture;
let rpcUrl: string;
let admin: postgres.Sql;
const dir = mkdtempSync(join(tmpdir(), "sns-stop-"));
const dbName = `sns_stop_${process.pid}_${Date.now()}`;
const dbUrl = (() => {
  const u = new URL(PG_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

beforeAll(async () => {
  f = await chainFixture();
  rpcUrl = await f.chain.serve();
  await f.registerNode({ operatorIndex: 1 });
  writeFileSync(join(dir, "deployment.json"), JSON.stringify({ network: "devnet", ...f.deployment }));
  admin = postgres(PG_URL, { onnotice: () => {}, max: 1 });
  await admin.unsafe(`CREATE DATABASE "${dbName}"`);
}, 120_000);

afterAll(async () => {
  await admin?.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin?.end();
  await f?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the exit code, or with "still running" after `ms`. */
const exitWithin = (exited: Promise<number | null>, ms: number) => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    exited,
    new Promise<"still running">((r) => {
      timer = setTimeout(() => r("still running"), ms);
    }),
  ]).finally(() => clearTimeout(timer));
};

describe("sns-indexer process stop", () => {
  it("exits 0 within a few seconds of SIGTERM with keep-alive and unused connections open and its follower waiting on a database lock", async () => {
    const p = runService(main, {
      SNS_RPC_URL: rpcUrl,
      SNS_DEPLOYMENT_FILE: join(dir, "deployment.json"),
      DATABASE_URL: dbUrl,
      HOST: "127.0.0.1",
      PORT: "0",
      SNS_CONFIRMATIONS: "0",
      SNS_POLL_MS: "100",
    });
    const started = await p.line(/sns-indexer listening/, 60_000);
    const url = new URL(String(started.url));

    // An idle keep-alive connection (a client that used it once) and one that never sent a request.
    const agent = new http.Agent({ keepAlive: true });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(`${url}health`, { agent }, resolve).on("error", reject),
    );
    res.resume();
    await once(res, "end");
    expect(res.statusCode).toBe(200);
    const unused = connect(Number(url.port), url.hostname);
    await once(unused, "connect");
    unused.on("error", () => {});

    // Another session locks the blocks table; new blocks make the follower read and write it.
    const lockSql = postgres(dbUrl, { onnotice: () => {}, max: 1 });
    const locker = await lockSql.reserve();
    await locker`BEGIN`;
    await locker`LOCK TABLE blocks IN ACCESS EXCLUSIVE MODE`;
    try {
      await f.mine(2);
      await expect
        .poll(
          async () =>
            (
              await admin`SELECT count(*)::int AS n FROM pg_stat_activity
                  WHERE datname = ${dbName} AND application_name = 'sns-indexer' AND wait_event_type = 'Lock'`
            )[0]?.n,
          { timeout: 30_000, interval: 100 },
        )
        .toBeGreaterThan(0);

      const t = Date.now();
      p.child.kill("SIGTERM");
      const code = await exitWithin(p.exited, STOP_WITHIN_MS + 5_000);
      const took = Date.now() - t;
      if (code === "still running") p.child.kill("SIGKILL");
      expect({ code, output: code === 0 ? "" : p.output().out.slice(-2000) }).toEqual({
        code: 0,
        output: "",
      });
      expect(took).toBeLessThan(STOP_WITHIN_MS);
      expect(p.output().out).toMatch(/follower still busy/);
    } finally {
      await locker`ROLLBACK`.catch(() => {});
      locker.release();
      await lockSql.end();
      unused.destroy();
      agent.destroy();
    }
  }, 120_000);
});
