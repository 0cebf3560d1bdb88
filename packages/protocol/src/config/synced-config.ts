import { configDecrypt, configEncrypt, padConfig, toHex, unpadConfig } from "@session/crypto";
import type { ConfigDict } from "./config-data.ts";
import { ConfigMessage, type ConfigMessageOptions } from "./config-message.ts";
import { zstdCompress, zstdDecompress } from "./zstd.ts";

/*
 * One libsession config kept in a swarm namespace (src/config/base.cpp ConfigBase): the current
 * config message, edits that take the next seqno, pushes (prefix-padded, encrypted with
 * `domain`), and merges of what the swarm holds, so that devices or admins who changed it
 * concurrently converge on the same message. The user's own configs (UserConfig) and a group's
 * info and members (GroupConfig) are subclasses.
 */

export interface ConfigDump {
  message: Uint8Array;
  needsPush: boolean;
}

export class SyncedConfig {
  protected current: ConfigMessage;
  /** The current message was taken for editing and not pushed yet. */
  protected open = false;
  /** Local changes (or a merge) not yet stored on the swarm. */
  needsPush = false;
  /** The seqno handed out by the last `push()`, confirmed by `pushed()`. */
  private pushing: number | undefined;

  constructor(
    readonly domain: string,
    readonly namespace: number,
    protected readonly opts: ConfigMessageOptions = {},
  ) {
    this.current = new ConfigMessage(0, this.opts);
  }

  get seqno(): number {
    return this.current.seqno;
  }
  get data(): ConfigDict {
    return this.current.data;
  }

  /**
   * Applies a change; returns false (and keeps the current message) when it changed nothing,
   * unless `force` (a re-push under a new key takes a new seqno even without changes).
   */
  edit(fn: (data: ConfigDict) => void, force = false): boolean {
    const wasOpen = this.open;
    const prev = this.current;
    if (!wasOpen) {
      this.current = this.current.mutableCopy();
      this.open = true;
    }
    fn(this.current.data);
    if (!wasOpen && !force && !this.current.dirty) {
      this.current = prev;
      this.open = false;
      return false;
    }
    this.needsPush = true;
    return true;
  }

  /** The current message for saving, or undefined while empty. */
  dump(): ConfigDump | undefined {
    if (this.current.seqno === 0 && !this.needsPush) return undefined;
    return { message: this.current.serialize(), needsPush: this.needsPush };
  }

  /** Loads a `dump()` (checked again: a config that does not verify is refused). */
  load(dump: ConfigDump): void {
    this.current = ConfigMessage.parse(dump.message, this.opts);
    this.open = false;
    this.needsPush = dump.needsPush && this.canPush();
  }

  /** Whether this holder may push at all (group members without the group key may not). */
  protected canPush(): boolean {
    return true;
  }

  /** The plaintext config message as pushed (before padding and encryption). */
  serialize(): Uint8Array {
    return this.current.serialize();
  }

  /**
   * The encrypted message to store; the next edit takes a new seqno. Call `pushed(seqno)` once
   * it is stored.
   */
  push(key: Uint8Array): Uint8Array {
    this.open = false;
    this.pushing = this.current.seqno;
    return configEncrypt(padConfig(compressConfig(this.current.serialize())), key, this.domain);
  }

  /** The message of `push()` is stored: nothing to push unless it changed since. */
  pushed(seqno: number | undefined = this.pushing): void {
    this.open = false;
    if (seqno === this.current.seqno) {
      this.current.merged = false;
      this.needsPush = false;
    }
    this.pushing = undefined;
  }

  /** True when `encrypted` opens with one of `keys` to a config message we can read. */
  readable(encrypted: Uint8Array, keys: readonly Uint8Array[]): boolean {
    for (const k of keys) {
      try {
        const opened = openConfigPlaintext(unpadConfig(configDecrypt(encrypted, k, this.domain)));
        if (!opened) return false;
        ConfigMessage.parse(opened, this.opts);
        return true;
      } catch {}
    }
    return false;
  }

  /**
   * Merges config messages retrieved from the swarm (encrypted) into ours. Undecryptable,
   * unsigned or malformed messages are skipped. Returns true when our view changed.
   */
  merge(encrypted: readonly Uint8Array[], keys: readonly Uint8Array[]): boolean {
    const plains: Uint8Array[] = [];
    for (const e of encrypted) {
      for (const k of keys) {
        let plain: Uint8Array;
        try {
          plain = unpadConfig(configDecrypt(e, k, this.domain));
        } catch {
          continue;
        }
        const opened = openConfigPlaintext(plain);
        if (opened) plains.push(opened);
        break;
      }
    }
    if (!plains.length) return false;
    const mine = this.current.seqno > 0 || this.needsPush ? [this.current.serialize()] : [];
    const before = toHex(this.current.hash());
    let merged: ConfigMessage;
    try {
      merged = ConfigMessage.merge([...mine, ...plains], this.opts);
    } catch {
      return false;
    }
    this.current = merged;
    this.open = false;
    if (merged.merged) this.needsPush = true;
    else if (mine.length && toHex(merged.hash()) !== before) this.needsPush = false;
    return toHex(merged.hash()) !== before;
  }
}

/**
 * Largest decompressed config we accept. libsession bounds the pushed message (75 KiB, after
 * compression) but not what it decompresses to; bencoded configs compress a few times over, so
 * a legitimate config can exceed 75 KiB once decompressed. 1 MiB leaves room for that and still
 * stops a zstd bomb.
 */
export const MAX_DECOMPRESSED_CONFIG_SIZE = 1024 * 1024;

/** libsession's compression level for every config (ConfigBase::compression_level). */
export const CONFIG_COMPRESSION_LEVEL = 1;

/**
 * A serialized config as libsession pushes it (base.cpp compress_message): "z" ‖ zstd(config)
 * when that is shorter than the config, else the config unchanged.
 */
export function compressConfig(config: Uint8Array, level = CONFIG_COMPRESSION_LEVEL): Uint8Array {
  const z = zstdCompress(config, level);
  if (z.length + 1 >= config.length) return config;
  const out = new Uint8Array(z.length + 1);
  out[0] = 0x7a; // "z"
  out.set(z, 1);
  return out;
}

/**
 * A decrypted, unpadded config: "d…" as is, "z…" zstd-decompressed (libsession compresses when
 * that is smaller); multipart ("m…", unimplemented in libsession too) and anything else: undefined.
 */
export function openConfigPlaintext(plain: Uint8Array): Uint8Array | undefined {
  if (plain[0] === 0x64) return plain;
  if (plain[0] !== 0x7a) return undefined;
  try {
    const out = zstdDecompress(plain.subarray(1), MAX_DECOMPRESSED_CONFIG_SIZE);
    return out[0] === 0x64 ? out : undefined;
  } catch {
    return undefined;
  }
}
