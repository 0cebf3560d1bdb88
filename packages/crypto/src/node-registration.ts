import { concatBytes, fromHex, utf8Encode } from "./bytes.ts";
import { CryptoError } from "./errors.ts";
import { sign, verify } from "./keys.ts";

/*
 * Proof that a node operator holds the node's Ed25519 key (contracts/ServiceNodeRegistry.sol
 * `registrationMessage`): the node key signs
 *   "session-node-registration" ‖ chain id (uint256) ‖ registry (20) ‖ operator (20) ‖
 *   Ed25519 key (32) ‖ X25519 key (32) ‖ IPv4 (uint32) ‖ port (uint16)
 * (big-endian, Solidity abi.encodePacked). The contract verifies it on-chain; indexers and nodes
 * check it again before they serve or trust a registry entry.
 */

interface NodeRegistrationFields {
  chainId: bigint | number;
  /** Registry contract address, 0x + 40 hex. */
  registry: string;
  /** Operator (registering) address, 0x + 40 hex. */
  operator: string;
  /** 32 bytes each. */
  ed25519: Uint8Array;
  x25519: Uint8Array;
  /** IPv4 as an unsigned 32-bit integer (127.0.0.1 = 0x7f000001). */
  ip: number;
  port: number;
}

/**
 * A registry entry's signed fields as readers show them (hex keys, dotted IPv4), plus its fee:
 * the same whether read from the contract (the operator CLI) or folded from its events
 * (sns-indexer), each of which adds its own form of the id, status, stakes and times.
 */
export interface RegisteredNode {
  operator: string;
  /** 64 lower-case hex digits, no 0x. */
  ed25519: string;
  x25519: string;
  /** Dotted IPv4 (`ipFromUint32` of the contract's uint32). */
  ip: string;
  port: number;
  /** Operator fee in basis points. */
  feeBps: number;
}

const DOMAIN = utf8Encode("session-node-registration");

function address(a: string, what: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(a))
    throw new CryptoError("INVALID_INPUT", `${what} must be 0x + 40 hex digits`);
  return fromHex(a.slice(2));
}

function uintBytes(v: bigint, len: number, what: string): Uint8Array {
  if (v < 0n || v >= 1n << BigInt(len * 8)) throw new CryptoError("INVALID_INPUT", `${what} is out of range`);
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function key(k: Uint8Array, what: string): Uint8Array {
  if (!(k instanceof Uint8Array) || k.length !== 32)
    throw new CryptoError("INVALID_KEY", `${what} must be 32 bytes`);
  return k;
}

/** The exact bytes the node key signs (same as the contract's `registrationMessage`). */
export function nodeRegistrationMessage(f: NodeRegistrationFields): Uint8Array {
  return concatBytes(
    DOMAIN,
    uintBytes(BigInt(f.chainId), 32, "chain id"),
    address(f.registry, "registry"),
    address(f.operator, "operator"),
    key(f.ed25519, "Ed25519 key"),
    key(f.x25519, "X25519 key"),
    uintBytes(BigInt(f.ip), 4, "IPv4 address"),
    uintBytes(BigInt(f.port), 2, "port"),
  );
}

/** Signs the registration with the node's Ed25519 secret key (64 bytes, or its 32-byte seed). */
export function signNodeRegistration(secretKey: Uint8Array, f: NodeRegistrationFields): Uint8Array {
  return sign(nodeRegistrationMessage(f), secretKey);
}

/** True when `signature` is the node key's proof for these fields. Never throws. */
export function verifyNodeRegistration(f: NodeRegistrationFields, signature: Uint8Array): boolean {
  try {
    return verify(signature, nodeRegistrationMessage(f), f.ed25519);
  } catch {
    return false;
  }
}

/** Unsigned 32-bit integer → "a.b.c.d", the inverse of `ipv4ToUint32`. */
export function ipFromUint32(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
}

/** "a.b.c.d" → unsigned 32-bit integer; throws INVALID_INPUT for anything else. */
export function ipv4ToUint32(ip: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  const parts = m?.slice(1).map(Number);
  if (!parts || parts.some((p) => p > 255))
    throw new CryptoError("INVALID_INPUT", `"${ip}" is not an IPv4 address`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}
