import fc from "fast-check";
import { expect } from "vitest";
import { ProtocolError } from "../../src/errors.ts";

/**
 * Bad input never throws an untyped error: for every input fast-check draws, each decoder
 * returns or throws a ProtocolError.
 */
export function expectOnlyProtocolErrors<T>(inputs: fc.Arbitrary<T>, ...decoders: ((input: T) => unknown)[]) {
  fc.assert(
    fc.property(inputs, (input) => {
      for (const decode of decoders) {
        try {
          decode(input);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }
    }),
  );
}
