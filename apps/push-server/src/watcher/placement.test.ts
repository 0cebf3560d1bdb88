import type { NodeInfo } from "@session/protocol";
import { describe, expect, it } from "vitest";
import { chooseMembers } from "./placement.ts";

const node = (i: number): NodeInfo => ({
  pubkey_ed25519: String(i).repeat(64),
  pubkey_x25519: String(i).repeat(64),
  public_ip: "203.0.113.1",
  storage_port: 22000 + i,
  swarm_id: "0",
});
const members = [1, 2, 3, 4].map(node);

describe("chooseMembers", () => {
  it("starts at the account's position in the ring and takes `count` members", () => {
    // 0x00000002 % 4 = 2: members 3 and 4.
    const got = chooseMembers(`05${"00000002"}${"0".repeat(56)}`, members, 2, () => false);
    expect(got.map((n) => n.storage_port)).toEqual([22003, 22004]);
  });

  it("skips avoided members while enough others remain, and uses them when not", () => {
    const pk = `05${"00000002"}${"0".repeat(56)}`;
    const avoid = (n: NodeInfo) => n.storage_port === 22003;
    expect(chooseMembers(pk, members, 2, avoid).map((n) => n.storage_port)).toEqual([22004, 22001]);
    expect(chooseMembers(pk, members.slice(2, 3), 2, avoid).map((n) => n.storage_port)).toEqual([22003]);
    expect(chooseMembers(pk, [], 2, avoid)).toEqual([]);
  });
});
