import { keypairFromSeed, randomBytesArray, toHex, utf8Decode, utf8Encode } from "@session/crypto";
import { describe, expect, it } from "vitest";
import { GroupConfig, readInfo, readMembers, writeInfo, writeMember } from "./group-config.ts";
import { decryptGroupMessage, encryptGroupMessage, GroupKeys } from "./keys.ts";

function account() {
  const k = keypairFromSeed(randomBytesArray(16));
  return { sk: k.ed25519.secretKey, id: k.sessionId };
}
function group() {
  const k = keypairFromSeed(randomBytesArray(16));
  return { sk: k.ed25519.secretKey, pk: k.ed25519.publicKey };
}

describe("group keys (namespace 12)", () => {
  it("a rekey gives the key to listed members and admins only, padded to 75 entries", () => {
    const g = group();
    const admin = account();
    const [a, b, out] = [account(), account(), account()];
    const ak = new GroupKeys(g.pk, admin.sk, g.sk);
    const msg = ak.rekey([admin.id, a.id, b.id], 1000);
    const mk = new GroupKeys(g.pk, a.sk);
    expect(mk.load(msg, 1000)).toBe(true);
    expect(toHex(mk.current().key)).toBe(toHex(ak.current().key));
    expect(mk.load(msg, 1000)).toBe(false); // already known
    expect(new GroupKeys(g.pk, out.sk).load(msg, 1000)).toBe(false);
    // An admin on another device opens K with the seed.
    const ak2 = new GroupKeys(g.pk, admin.sk, g.sk);
    expect(ak2.load(msg, 1000)).toBe(true);
    // 75 member entries of 48 bytes are in the message whatever the member count.
    expect(msg.length).toBeGreaterThan(75 * 48);
    // Not signed by the group: ignored.
    const forged = msg.slice();
    forged[forged.length - 5]! ^= 1;
    expect(new GroupKeys(g.pk, b.sk).load(forged, 1000)).toBe(false);
  });

  it("rotation excludes a removed member; old keys stay readable; supplements give new members the history", () => {
    const g = group();
    const admin = account();
    const [a, removed, late] = [account(), account(), account()];
    const ak = new GroupKeys(g.pk, admin.sk, g.sk);
    const r0 = ak.rekey([admin.id, a.id, removed.id]);
    const m0 = encryptGroupMessage(a.sk, ak.current().key, utf8Encode("before"));
    const r1 = ak.rekey([admin.id, a.id]);
    const m1 = encryptGroupMessage(admin.sk, ak.current().key, utf8Encode("after"));
    const ka = new GroupKeys(g.pk, a.sk);
    const kr = new GroupKeys(g.pk, removed.sk);
    for (const k of [ka, kr]) {
      k.load(r0, 1);
      k.load(r1, 2);
    }
    const open = (k: GroupKeys, m: Uint8Array) =>
      utf8Decode(
        decryptGroupMessage(
          k.all().map((x) => x.key),
          m,
        ).plaintext,
      );
    expect(open(ka, m0)).toBe("before");
    expect(open(ka, m1)).toBe("after");
    expect(open(kr, m0)).toBe("before");
    expect(() => open(kr, m1)).toThrow(/unable to decrypt/);
    const kl = new GroupKeys(g.pk, late.sk);
    expect(kl.load(ak.supplement([late.id]), 3)).toBe(true);
    expect(kl.all().map((k) => k.generation)).toEqual([1, 0]);
    expect(open(kl, m0)).toBe("before");
  });

  it("group messages carry the sender's signature inside and pad to 256 bytes", () => {
    const key = randomBytesArray(32);
    const s = account();
    const c = encryptGroupMessage(s.sk, key, utf8Encode("hi"));
    expect(c.length % 256).toBe(0);
    const out = decryptGroupMessage([randomBytesArray(32), key], c);
    expect(out.sender).toBe(s.id);
    expect(utf8Decode(out.plaintext)).toBe("hi");
    const t = c.slice();
    t[30]! ^= 1;
    expect(() => decryptGroupMessage([key], t)).toThrow();
  });
});

describe("group info and members configs (namespaces 13, 14)", () => {
  it("two admins rename concurrently; every reader converges on one name", () => {
    const g = group();
    const key = randomBytesArray(32);
    const a1 = new GroupConfig("groups::Info", 13, g.pk, g.sk);
    a1.edit((d) => writeInfo(d, { name: "start", created: 1 }));
    const base = a1.push(key);
    a1.pushed();
    const a2 = new GroupConfig("groups::Info", 13, g.pk, g.sk);
    a2.merge([base], [key]);
    a1.edit((d) => writeInfo(d, { name: "from a1" }));
    a2.edit((d) => writeInfo(d, { description: "desc a2", name: "from a2" }));
    const p1 = a1.push(key);
    const p2 = a2.push(key);
    a1.pushed();
    a2.pushed();
    // Each admin sees the other's version and merges to the same result.
    a1.merge([p2], [key]);
    a2.merge([p1], [key]);
    expect(readInfo(a1.data)).toEqual(readInfo(a2.data));
    expect(a1.seqno).toBe(3);
    expect(a1.needsPush).toBe(true);
    // A member (no signer) reading all three also agrees after the admins push their merges.
    const m = new GroupConfig("groups::Info", 13, g.pk);
    const mp1 = a1.push(key);
    m.merge([base, p1, p2, mp1], [key]);
    expect(readInfo(m.data).name).toBe(readInfo(a1.data).name);
    expect(readInfo(m.data).description).toBe("desc a2");
    // A member cannot edit, and configs not signed by the group are ignored.
    expect(() => m.edit(() => {})).toThrow(/only admins/);
    const other = group();
    const fake = new GroupConfig("groups::Info", 13, other.pk, other.sk);
    fake.edit((d) => writeInfo(d, { name: "evil" }));
    const m2 = new GroupConfig("groups::Info", 13, g.pk);
    expect(m2.merge([fake.push(key)], [key])).toBe(false);
  });

  it("stores members keyed by their 33-byte Session ID with libsession's flags", () => {
    const g = group();
    const c = new GroupConfig("groups::Members", 14, g.pk, g.sk);
    const a = account();
    const b = account();
    c.edit((d) => {
      writeMember(d, { sessionId: a.id, name: "Ann", admin: true });
      writeMember(d, { sessionId: b.id, name: "", admin: false, inviteStatus: 1, supplement: true });
    });
    const key = randomBytesArray(32);
    const r = new GroupConfig("groups::Members", 14, g.pk);
    r.merge([c.push(key)], [key]);
    expect(readMembers(r.data)).toEqual(
      [
        { sessionId: a.id, name: "Ann", admin: true },
        { sessionId: b.id, name: "", admin: false, inviteStatus: 1, supplement: true },
      ].sort((x, y) => (x.sessionId < y.sessionId ? -1 : 1)),
    );
  });
});

describe("saved group state", () => {
  it("keys survive export/import; a config dump reloads only when the group signed it", () => {
    const g = group();
    const admin = account();
    const ak = new GroupKeys(g.pk, admin.sk, g.sk);
    ak.rekey([admin.id]);
    ak.rekey([admin.id]);
    const copy = new GroupKeys(g.pk, admin.sk);
    copy.import(ak.export());
    expect(copy.all().map((k) => toHex(k.key))).toEqual(ak.all().map((k) => toHex(k.key)));
    expect(() => copy.import([{ generation: 0, key: "00", timestamp: 0 }])).toThrow(/malformed/);

    const c = new GroupConfig("groups::Info", 13, g.pk, g.sk);
    c.edit((d) => writeInfo(d, { name: "kept" }));
    const dump = c.dump()!;
    expect(dump.needsPush).toBe(true);
    const member = new GroupConfig("groups::Info", 13, g.pk);
    member.load(dump);
    expect(readInfo(member.data).name).toBe("kept");
    expect(member.needsPush).toBe(false); // members cannot push
    const tampered = dump.message.slice();
    tampered[20]! ^= 1;
    expect(() => new GroupConfig("groups::Info", 13, g.pk).load({ ...dump, message: tampered })).toThrow();
    expect(new GroupConfig("groups::Info", 13, g.pk).dump()).toBeUndefined();
  });
});
