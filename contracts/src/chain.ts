import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BrowserProvider, type Eip1193Provider, type JsonRpcSigner } from "ethers";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";

export interface InProcessChain {
  /** EIP-1193 provider of the in-process EDR chain. */
  eip1193: Eip1193Provider;
  provider: BrowserProvider;
  /** Hardhat's 20 funded development accounts. */
  signer(index: number): Promise<JsonRpcSigner>;
  /** Serves the chain as JSON-RPC over HTTP on loopback (for other processes); returns its URL. */
  serve(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts a Hardhat EDR chain inside this process (chain id 31337, automine) — what the devnet and
 * the indexer tests run against, with no separate node process. Works on Node 20 (no compiler
 * involved: deploy with `deploySessionContracts`).
 */
export async function startInProcessChain(opts: { chainId?: number } = {}): Promise<InProcessChain> {
  const hre = await createHardhatRuntimeEnvironment({
    networks: { default: { type: "edr-simulated", chainId: opts.chainId ?? 31337 } },
  });
  const connection = await hre.network.getOrCreate();
  const eip1193 = connection.provider as unknown as Eip1193Provider;
  // No block-number cache: tests mine and read back within milliseconds.
  const provider = new BrowserProvider(eip1193, undefined, {
    polling: true,
    pollingInterval: 200,
    cacheTimeout: -1,
  });
  let server: Server | undefined;

  async function handle(body: unknown): Promise<unknown> {
    const one = async (req: { id?: unknown; method?: unknown; params?: unknown }) => {
      try {
        if (typeof req.method !== "string")
          throw Object.assign(new Error("invalid request"), { code: -32600 });
        const result = await eip1193.request({ method: req.method, params: (req.params as unknown[]) ?? [] });
        return { jsonrpc: "2.0", id: req.id ?? null, result };
      } catch (e) {
        const err = e as { code?: number; message?: string; data?: unknown };
        return {
          jsonrpc: "2.0",
          id: req.id ?? null,
          error: {
            code: typeof err.code === "number" ? err.code : -32603,
            message: err.message ?? "error",
            data: err.data,
          },
        };
      }
    };
    return Array.isArray(body) ? Promise.all(body.map(one)) : one(body as never);
  }

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      let size = 0;
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size > 10 * 1024 * 1024) req.destroy(new Error("body too large"));
        else chunks.push(c);
      });
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });

  return {
    eip1193,
    provider,
    signer: (i) => provider.getSigner(i),
    async serve(port = 0, host = "127.0.0.1") {
      server = createServer(async (req, res) => {
        if (req.method !== "POST") {
          res.writeHead(405).end();
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(await readBody(req));
        } catch {
          res.writeHead(400, { "content-type": "application/json" });
          res.end(
            JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } }),
          );
          return;
        }
        const out = await handle(parsed);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v)));
      });
      await new Promise<void>((resolve) => server!.listen(port, host, resolve));
      const addr = server.address() as AddressInfo;
      return `http://${host}:${addr.port}`;
    },
    async close() {
      provider.destroy();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      await connection.close();
    },
  };
}
