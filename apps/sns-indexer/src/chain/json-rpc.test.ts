import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ChainRpcError } from "./errors.ts";
import { httpTransport } from "./json-rpc.ts";

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A JSON-RPC endpoint answering every call with `answer(requestId)`: [status, headers, body]. */
async function endpoint(answer: (id: number) => [number, Record<string, string>, string | null]) {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const { id } = JSON.parse(Buffer.concat(chunks).toString()) as { id: number };
    const [status, headers, body] = answer(id);
    if (body === null) return; // never answers
    res.writeHead(status, headers).end(body);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(p: Promise<unknown>): Promise<ChainRpcError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChainRpcError);
  return err as ChainRpcError;
}

const ok = (id: number, result: unknown) => JSON.stringify({ jsonrpc: "2.0", id, result });
/** An answer with HTTP `status` carrying the JSON-RPC error `code`/`message` for the request's id. */
const rpcError =
  (status: number, code: number, message: string) =>
  (id: number): [number, Record<string, string>, string] => [
    status,
    {},
    JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } }),
  ];

describe("httpTransport", () => {
  it("returns the result of the answer to this request", async () => {
    const url = await endpoint((id) => [200, {}, ok(id, "0x10")]);
    expect(await httpTransport(url, { timeoutMs: 1000 })("eth_blockNumber", [])).toBe("0x10");
  });

  it("classifies failures: 429 with Retry-After, 5xx, timeouts, non-JSON, wrong id, JSON-RPC errors", async () => {
    const cases: [
      (
        | [number, Record<string, string>, string | null]
        | ((id: number) => [number, Record<string, string>, string | null])
      ),
      string,
      Partial<ChainRpcError>,
    ][] = [
      [
        [429, { "retry-after": "3" }, "slow down"],
        "eth_blockNumber",
        { code: "RPC_RATE_LIMITED", retryAfterMs: 3000, retryable: true },
      ],
      [
        [502, {}, "<html>bad gateway</html>"],
        "eth_blockNumber",
        { code: "RPC_UNAVAILABLE", retryable: true },
      ],
      [[200, {}, null], "eth_blockNumber", { code: "RPC_TIMEOUT", retryable: true }],
      [
        [200, {}, '{"jsonrpc":"2.0","id":1,"res'],
        "eth_blockNumber",
        { code: "RPC_BAD_ANSWER", retryable: true },
      ],
      [(id) => [200, {}, ok(id + 1, "0x1")], "eth_blockNumber", { code: "RPC_BAD_ANSWER" }],
      [
        rpcError(200, -32005, "query returned more than 10000 results"),
        "eth_getLogs",
        { code: "RPC_RANGE_REFUSED", retryable: false },
      ],
      [rpcError(200, -32005, "request rate limited"), "eth_getLogs", { code: "RPC_RATE_LIMITED" }],
      [rpcError(200, -32602, "invalid params"), "eth_getLogs", { code: "RPC_ERROR", retryable: false }],
      [rpcError(500, -32603, "internal"), "eth_chainId", { code: "RPC_ERROR", retryable: true }],
    ];
    for (const [answer, method, expected] of cases) {
      const url = await endpoint(typeof answer === "function" ? answer : () => answer);
      const err = await failure(httpTransport(url, { timeoutMs: 200 })(method, []));
      expect(err, JSON.stringify(expected)).toMatchObject(expected);
      await new Promise<void>((r) => server!.close(() => r()));
      server = undefined;
    }
  });

  it("a connection refused is RPC_UNAVAILABLE; an aborted call rethrows the caller's reason", async () => {
    const url = await endpoint(() => [200, {}, null]);
    const abort = new AbortController();
    const pending = httpTransport(url, { timeoutMs: 5000 })("eth_blockNumber", [], abort.signal);
    abort.abort(new Error("stopping"));
    await expect(pending).rejects.toThrow("stopping");
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    expect((await failure(httpTransport(url, { timeoutMs: 1000 })("eth_blockNumber", []))).code).toBe(
      "RPC_UNAVAILABLE",
    );
  });
});
