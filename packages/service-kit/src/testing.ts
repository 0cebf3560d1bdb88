import { onionOpenReply, onionSealLayer, toHex } from "@session/crypto";
import {
  decodeV4Response,
  encodeOnionLayer,
  encodeV4Request,
  type V4RequestInfo,
  type V4Response,
} from "@session/protocol/onion";
import type { EncType } from "./hop.ts";

export { oldSpaceGrowth } from "./testing/old-space.ts";

/**
 * A minimal client for a server's onion final hop, for tests and benchmarks: it builds the layer
 * a storage node would forward (`[N][ciphertext]{ephemeral_key, enc_type}`), POSTs it straight to
 * `<baseUrl>/oxen/v4/lsrpc`, and decrypts the v4 response. Real clients send it through three
 * storage nodes (packages/client).
 */
export function onionV4TestClient(baseUrl: string, serverPublicKey: Uint8Array, encType: EncType) {
  return {
    /**
     * The raw onion body and the means to open its reply. `routing` adds keys to the JSON part,
     * e.g. the host/port/protocol/target a storage node reads before forwarding it unchanged.
     */
    build(info: V4RequestInfo, body?: Uint8Array, routing: Record<string, unknown> = {}) {
      const plain = encodeV4Request(info, body);
      const { ciphertext, ephemeralPublicKey, keys } = onionSealLayer(plain, serverPublicKey, encType);
      const layer = encodeOnionLayer(ciphertext, {
        ...routing,
        ephemeral_key: toHex(ephemeralPublicKey),
        enc_type: encType,
      });
      return { layer, open: (reply: Uint8Array) => decodeV4Response(onionOpenReply(encType, reply, keys)) };
    },
    async request(info: V4RequestInfo, body?: Uint8Array): Promise<V4Response & { body: Uint8Array }> {
      const { layer, open } = this.build(info, body);
      const res = await fetch(`${baseUrl}/oxen/v4/lsrpc`, { method: "POST", body: layer });
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (res.status !== 200) {
        throw new Error(`onion request failed: HTTP ${res.status} ${new TextDecoder().decode(bytes)}`);
      }
      const v4 = open(bytes);
      return { info: v4.info, body: v4.body ?? new Uint8Array(0) };
    },
  };
}

export {
  FUZZ_MEMORY_BOUND,
  type FuzzTarget,
  fuzzHttp,
  fuzzSeed,
  fuzzSummary,
  fuzzViolations,
} from "./fuzz-http.ts";
export {
  closedWithin,
  type OversizedBodyOptions,
  type RawResponse,
  rawConnect,
  rssBytes,
  sendOversizedBody,
} from "./raw-http.ts";
export { processAlive, runService } from "./test-process.ts";
export { capturedLogs } from "./testing/captured-logs.ts";
export { deferred } from "./testing/deferred.ts";
export { describeOnPgSmallTablespace, describeOnSmallDisk } from "./testing/fault-suites.ts";
export {
  describeHttpLimits,
  shortConnectionLimitsEnv,
} from "./testing/http-limit-suite.ts";
export {
  type ConnectionLimitTarget,
  concurrentOversizedBodies,
  describeConnectionLimits,
} from "./testing/http-limit-tests.ts";
export { type ManualClock, manualClock } from "./testing/manual-clock.ts";
export { type PgFaults, pgFaultSuite, pgFaults, testApplicationName } from "./testing/pg-faults.ts";
export {
  type PgSmallTablespace,
  pgSmallTablespace,
  requirePgSmallTablespace,
} from "./testing/pg-small-tablespace.ts";
export {
  mountSmallDisk,
  requireSmallDisk,
  type SmallDisk,
  smallDiskSupport,
} from "./testing/small-disk.ts";
export { type SuitePg, suiteSchema, TEST_PG_URL } from "./testing/suite-schema.ts";
export { suiteTempDir } from "./testing/temp-dir.ts";
