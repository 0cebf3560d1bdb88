import { z } from "zod";

/**
 * `ifelse` condition (client_rpc_endpoints.h `ifelse`): every given key must hold. Lists are
 * padded with zeros / truncated to 2 (hardfork) or 3 (version) elements, as the server does.
 */
export interface IfElseCondition {
  hfAtLeast?: [number, number];
  hfBefore?: [number, number];
  vAtLeast?: [number, number, number];
  vBefore?: [number, number, number];
  heightAtLeast?: number;
  heightBefore?: number;
}

const intOrIntList = z.union([
  z
    .number()
    .int()
    .transform((n) => [n]),
  z.array(z.number().int()),
]);

function fixed<N extends 2 | 3>(n: N, v: number[] | undefined) {
  if (!v || v.length === 0) return undefined;
  return Array.from({ length: n }, (_, i) => v[i] ?? 0) as N extends 2
    ? [number, number]
    : [number, number, number];
}

export const ifElseConditionSchema = z
  .object({
    height_at_least: z.number().int().optional(),
    height_before: z.number().int().optional(),
    hf_at_least: intOrIntList.optional(),
    hf_before: intOrIntList.optional(),
    v_at_least: intOrIntList.optional(),
    v_before: intOrIntList.optional(),
  })
  .transform((v, ctx): IfElseCondition => {
    const c: IfElseCondition = {};
    const hfGe = fixed(2, v.hf_at_least);
    const hfLt = fixed(2, v.hf_before);
    const vGe = fixed(3, v.v_at_least);
    const vLt = fixed(3, v.v_before);
    if (hfGe) c.hfAtLeast = hfGe;
    if (hfLt) c.hfBefore = hfLt;
    if (vGe) c.vAtLeast = vGe;
    if (vLt) c.vBefore = vLt;
    if (v.height_at_least !== undefined) c.heightAtLeast = v.height_at_least;
    if (v.height_before !== undefined) c.heightBefore = v.height_before;
    if (Object.keys(c).length === 0) {
      ctx.addIssue({
        code: "custom",
        message: 'Invalid ifelse request: must specify at least one "if" condition',
      });
    }
    return c;
  });

function cmp(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The node state a condition is checked against. */
export interface NodeVersionState {
  hf: [number, number];
  version: [number, number, number];
  height: number;
}

export function evaluateIfElseCondition(c: IfElseCondition, s: NodeVersionState): boolean {
  let ok = true;
  if (c.hfAtLeast) ok &&= cmp(s.hf, c.hfAtLeast) >= 0;
  if (c.hfBefore) ok &&= cmp(s.hf, c.hfBefore) < 0;
  if (c.vAtLeast) ok &&= cmp(s.version, c.vAtLeast) >= 0;
  if (c.vBefore) ok &&= cmp(s.version, c.vBefore) < 0;
  if (c.heightAtLeast !== undefined) ok &&= s.height >= c.heightAtLeast;
  if (c.heightBefore !== undefined) ok &&= s.height < c.heightBefore;
  return ok;
}

/** A batch/sequence/ifelse sub-result: status code and body. */
export interface SubrequestResult {
  code: number;
  body: unknown;
}

export interface IfElseResponse {
  hf: [number, number];
  v: [number, number, number];
  height: number;
  condition: boolean;
  /** Absent when the followed branch was not given. */
  result?: SubrequestResult;
}
