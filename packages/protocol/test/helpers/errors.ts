import { expect } from "vitest";
import { ProtocolError } from "../../src/errors.ts";

/** Runs `f`; returns the ProtocolError it threw (failing on any other throw), or undefined. */
export function thrownBy(f: () => unknown): ProtocolError | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return e as ProtocolError;
  }
  return undefined;
}

/** The code of the ProtocolError `f` throws, or "ok" if it returns normally. */
export function codeOf(f: () => unknown): string {
  return thrownBy(f)?.code ?? "ok";
}

/** The ProtocolError `f` must throw. */
export function errOf(f: () => unknown): ProtocolError {
  const e = thrownBy(f);
  if (!e) throw new Error("expected a ProtocolError");
  return e;
}

/** Asserts that `f` either returns or throws a ProtocolError (never anything else). */
export function onlyProtocolErrors(f: () => unknown): void {
  thrownBy(f);
}
