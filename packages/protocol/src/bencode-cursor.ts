import { ProtocolError } from "./errors.ts";

/**
 * Where a bencode reader is in its input (bytes for ./bencode.ts, a binary string for
 * ./config/bt.ts): whether it is done, and the next unit without consuming it. Running past the end
 * is BENCODE_INVALID with the reader's own `endMessage`.
 */
export class BencodeCursor<T extends ArrayLike<unknown>> {
  pos = 0;
  constructor(
    private readonly input: T,
    private readonly endMessage: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.input.length;
  }

  peek(): T[number] {
    if (this.pos >= this.input.length) throw new ProtocolError("BENCODE_INVALID", this.endMessage);
    return this.input[this.pos] as T[number];
  }
}
