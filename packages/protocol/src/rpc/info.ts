import { z } from "zod";
import { parseWith } from "./parse-params.ts";
import type { MiscResponseFields } from "./responses.ts";

/** `info`: node version and clock. Takes no parameters (any given are ignored). */
export type InfoParams = Record<string, never>;

export const infoParamsSchema = z.object({}).transform((): InfoParams => ({}));

export function parseInfoParams(params: unknown): InfoParams {
  return parseWith(infoParamsSchema, params);
}

export interface InfoResponse extends MiscResponseFields {
  /** [major, minor, patch] of the storage server. */
  version: [number, number, number];
  /** Node time (ms); clients should sign with this rather than their own clock. */
  timestamp: number;
}
