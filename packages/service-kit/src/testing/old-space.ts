import { getHeapSpaceStatistics } from "node:v8";
import { collectGarbage } from "../raw-http.ts";

const oldSpaceUsed = () =>
  getHeapSpaceStatistics().find((s) => s.space_name === "old_space")?.space_used_size ?? 0;

/**
 * Bytes V8's old generation grew by while `run` ran, measured from a full GC and with none forced
 * after: what `run` allocated there directly (hidden classes, tables of maps that live there) or
 * promoted. Hot paths should leave almost none, since only a major GC takes it back (apps/node
 * README, "Garbage the old generation collects").
 */
export function oldSpaceGrowth(run: () => void): number;
export function oldSpaceGrowth(run: () => Promise<void>): Promise<number>;
export function oldSpaceGrowth(run: () => void | Promise<void>): number | Promise<number> {
  collectGarbage();
  const before = oldSpaceUsed();
  const ran = run();
  return ran ? ran.then(() => oldSpaceUsed() - before) : oldSpaceUsed() - before;
}
