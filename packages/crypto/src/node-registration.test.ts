import { describe, expect, it } from "vitest";
import {
  generateSeed,
  ipFromUint32,
  ipv4ToUint32,
  keypairFromSeed,
  nodeRegistrationMessage,
  signNodeRegistration,
  toHex,
  verifyNodeRegistration,
} from "./index.ts";

describe("node registration proof", () => {
  const node = keypairFromSeed(generateSeed());
  const fields = {
    chainId: 421614n,
    registry: `0x${"11".repeat(20)}`,
    operator: `0x${"22".repeat(20)}`,
    ed25519: node.ed25519.publicKey,
    x25519: node.x25519.publicKey,
    ip: ipv4ToUint32("203.0.113.7"),
    port: 22021,
  };

  it("lays the fields out like Solidity abi.encodePacked", () => {
    const m = nodeRegistrationMessage(fields);
    expect(m.length).toBe(25 + 32 + 20 + 20 + 32 + 32 + 4 + 2);
    const hex = toHex(m);
    expect(hex.slice(50, 114)).toBe(421614n.toString(16).padStart(64, "0"));
    expect(hex.slice(-12, -4)).toBe("cb007107");
    expect(hex.slice(-4)).toBe((22021).toString(16).padStart(4, "0"));
  });

  it("verifies the holder's signature and nothing that changes a field", () => {
    const sig = signNodeRegistration(node.ed25519.secretKey, fields);
    expect(verifyNodeRegistration(fields, sig)).toBe(true);
    expect(verifyNodeRegistration({ ...fields, chainId: 1n }, sig)).toBe(false);
    expect(verifyNodeRegistration({ ...fields, operator: `0x${"33".repeat(20)}` }, sig)).toBe(false);
    expect(verifyNodeRegistration({ ...fields, port: 22022 }, sig)).toBe(false);
    const other = keypairFromSeed(generateSeed());
    expect(verifyNodeRegistration(fields, signNodeRegistration(other.ed25519.secretKey, fields))).toBe(false);
    expect(verifyNodeRegistration(fields, sig.slice(0, 63))).toBe(false);
    expect(verifyNodeRegistration({ ...fields, registry: "0x12" }, sig)).toBe(false);
  });

  it("parses IPv4 and refuses anything else", () => {
    expect(ipv4ToUint32("127.0.0.1")).toBe(0x7f000001);
    expect(ipv4ToUint32("255.255.255.255")).toBe(0xffffffff);
    for (const bad of ["256.0.0.1", "1.2.3", "::1", "a.b.c.d"]) expect(() => ipv4ToUint32(bad)).toThrow();
  });

  it("prints the uint32 back as the address it was parsed from", () => {
    for (const ip of ["0.0.0.0", "10.0.1.2", "127.0.0.1", "192.168.0.1", "255.255.255.255"])
      expect(ipFromUint32(ipv4ToUint32(ip))).toBe(ip);
  });
});
