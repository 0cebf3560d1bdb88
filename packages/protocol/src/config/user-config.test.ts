import { blake2b, configDecrypt, fromHex, keypairFromSeed, toHex, unpadConfig } from "@session/crypto";
import { describe, expect, it } from "vitest";
import { Namespace } from "../namespaces.ts";
import { decodeEnvelope, decodeWebSocketMessage } from "../proto/codec.ts";
import { bytesToBin } from "./bt.ts";
import { ConfigMessage } from "./config-message.ts";
import * as userConfig from "./user-config.ts";
import { UserConfig, UserConfigKinds, unwrapUserConfig, wrapUserConfig } from "./user-config.ts";

// Vectors from session-foundation/libsession-util tests/test_config_userprofile.cpp: seed
// 0123456789abcdef0123456789abcdef followed by 32 zero bytes.
const seed = fromHex("0123456789abcdef0123456789abcdef00000000000000000000000000000000");
const sk = (() => {
  const kp = keypairFromSeed(seed);
  return kp.ed25519.secretKey;
})();

const emptyPushWrapped =
  "080112ab030a0012001aa20308062801429b0326ec9746282053eb119228e6c36012966e7d2642163169ba39" +
  "98af44ca65f967768dd78ee80fffab6f809f6cef49c73a36c82a89622ff0de2ceee06b8c638e2c876fa9047f" +
  "449dbe24b1fc89281a264fe90abdeffcdd44f797bd4572a6c5ae8d88bf372c3c717943ebd570222206fabf0e" +
  "e9f3c6756f5d71a32616b1df53d12887961f5c129207a79622ccc1a4bba976886d9a6ddf0fe5d570e5075d01" +
  "ecd627f656e95f27b4c40d5661b5664cedd3e568206effa1308b0ccd663ca61a6d39c0731891804a8cf5edcf" +
  "8b98eaa5580c3d436e22156e38455e403869700956c3c1dd0b4470b663e75c98c5b859b53ccef6559215d804" +
  "9f755be9c2d6b3f4a310f97c496fc392f65b6431dd87788ac61074fd8cd409702e1b839b3f774d38cf8b28f0" +
  "226c4efa5220ac6ae060793e36e7ef278d42d042f15b21291f3bb29e3158f09d154b93f83fd8a319811a26cb" +
  "5240d90cbb360fafec0b7eff4c676ae598540813d062dc9468365c73b4cfa2ffd02d48cdcd8f0c71324c6d0a" +
  "60346a7a0e50af3be64684b37f9e6c831115bf112ddd18acde08eaec376f0872a3952000";

const hash0 = bytesToBin(fromHex("ea173b57beca8af18c3519a7bbf69c3e7a05d1c049fa9558341d8ebb48b0c965"));
const push1Decrypted =
  "d1:#i1e1:&d1:+i9e1:n6:Kallie1:p34:http://example.org/omg-pic-123.bmp" +
  "1:q32:secret78901234567890123456789012e" +
  `1:<lli0e32:${hash0}deee1:=d1:+0:1:n0:1:p0:1:q0:ee`;
const push1Encrypted =
  "9693a69686da3055f1ecdfb239c3bf8e746951a36d888c2fb7c02e856a5c2091b24e39a7e1af828f" +
  "1fa09fe8bf7d274afde0a0847ba143c43ffb8722301b5ae32e2f078b9a5e19097403336e50b18c84" +
  "aade446cd2823b011f97d6ad2116a53feb814efecc086bc172d31f4214b4d7c630b63bbe575b0868" +
  "2d146da44915063a07a78556ab5eff4f67f6aa26211e8d330b53d28567a931028c393709a325425d" +
  "e7486ccde24416a7fd4a8ba5fa73899c65f4276dfaddd5b2100adcf0f793104fb235b31ce32ec656" +
  "056009a9ebf58d45d7d696b74e0c7ff0499c4d23204976f19561dc0dba6dc53a2497d28ce03498ea" +
  "49bf122762d7bc1d6d9c02f6d54f8384";

const text = (b: Uint8Array) => bytesToBin(b);
const utf8Key = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));

/** The vectors' first change to the profile. */
const kallie = {
  name: "Kallie",
  picture: { url: "http://example.org/omg-pic-123.bmp", key: utf8Key("secret78901234567890123456789012") },
  noteToSelfPriority: 9,
};

describe("user configs in libsession's format (test_config_userprofile.cpp)", () => {
  it("namespaces and kinds are libsession's", () => {
    expect(UserConfigKinds.UserProfile).toEqual({ namespace: 2, kind: 1 });
    expect(UserConfigKinds.Contacts).toEqual({ namespace: 3, kind: 2 });
    expect(UserConfigKinds.ConvoInfoVolatile).toEqual({ namespace: 4, kind: 3 });
    expect(Namespace.UserGroups).toBe(5);
  });

  it("pushes an empty profile byte for byte as libsession does (padding, encryption, protobuf wrapping)", () => {
    const p = new UserConfig("UserProfile", sk);
    expect(p.needsPush).toBe(false);
    const { seqno, data } = p.pushMessage();
    expect(seqno).toBe(0);
    expect(data.length).toBe(256 + 176);
    expect(toHex(data)).toBe(emptyPushWrapped);
    // The hash of the empty seqno-0 message, which push 1 carries as its lagged diff.
    expect(bytesToBin(blake2b(p.serialize(), 32))).toBe(hash0);
  });

  it("serializes and encrypts the first change as libsession does, and a second device merges it", () => {
    const p = new UserConfig("UserProfile", sk);
    expect(p.edit((d) => userConfig.writeUserProfile(d, kallie))).toBe(true);
    expect(p.needsPush).toBe(true);
    expect(text(p.serialize())).toBe(push1Decrypted);
    const { seqno, data } = p.pushMessage();
    expect(seqno).toBe(1);
    // Inside the wrapper: exactly libsession's encrypted config.
    const inner = unwrapUserConfig(sk, data, UserConfigKinds.UserProfile.kind)!;
    expect(toHex(inner)).toBe(push1Encrypted);
    expect(text(unpadConfig(configDecrypt(fromHex(push1Encrypted), seed, "UserProfile")))).toBe(
      push1Decrypted,
    );
    p.pushed(seqno);
    expect(p.needsPush).toBe(false);

    // A second device merges libsession's bare (unwrapped) message: no conflict, nothing to push.
    const p2 = new UserConfig("UserProfile", sk);
    expect(p2.mergeMessages([fromHex(push1Encrypted)])).toBe(true);
    expect(p2.needsPush).toBe(false);
    expect(p2.seqno).toBe(1);
    const prof = userConfig.readUserProfile(p2.data);
    expect(prof.name).toBe("Kallie");
    expect(prof.picture?.url).toBe("http://example.org/omg-pic-123.bmp");
    expect(prof.noteToSelfPriority).toBe(9);
    // The wrapped form merges the same.
    const p3 = new UserConfig("UserProfile", sk);
    expect(p3.mergeMessages([data])).toBe(true);
    expect(userConfig.readUserProfile(p3.data).name).toBe("Kallie");
  });

  it("two devices changing the profile concurrently converge on libsession's result (Nibbler wins)", () => {
    const a = new UserConfig("UserProfile", sk);
    a.edit((d) => userConfig.writeUserProfile(d, kallie));
    const first = a.pushMessage();
    a.pushed(first.seqno);
    const b = new UserConfig("UserProfile", sk);
    b.mergeMessages([first.data]);

    a.edit((d) => userConfig.writeUserProfile(d, { name: "Nibbler" }));
    b.edit((d) =>
      userConfig.writeUserProfile(d, {
        name: "Raz",
        picture: { url: "http://new.example.com/pic", key: utf8Key("qwert\0yuio1234567890123456789012") },
        noteToSelfExpiry: 86400,
      }),
    );
    b.edit((d) => userConfig.writeUserProfile(d, { blindedMessageRequests: false }));
    b.edit((d) => userConfig.writeUserProfile(d, { blindedMessageRequests: undefined }));
    b.edit((d) => userConfig.writeUserProfile(d, { blindedMessageRequests: true }));
    const pa = a.pushMessage();
    const pb = b.pushMessage();
    expect(pa.seqno).toBe(2);
    expect(pb.seqno).toBe(2);
    a.pushed(pa.seqno);
    b.pushed(pb.seqno);
    expect(toHex(pa.data)).not.toBe(toHex(pb.data));

    expect(a.mergeMessages([pb.data])).toBe(true);
    expect(b.mergeMessages([pa.data])).toBe(true);
    expect(a.needsPush && b.needsPush).toBe(true);
    const ma = a.pushMessage();
    const mb = b.pushMessage();
    expect(ma.seqno).toBe(3);
    expect(mb.seqno).toBe(3);
    // Same merged message, so the same (deterministic) bytes on the swarm.
    expect(toHex(ma.data)).toBe(toHex(mb.data));
    for (const c of [a, b]) {
      const prof = userConfig.readUserProfile(c.data);
      expect(prof.name).toBe("Nibbler");
      expect(prof.picture?.url).toBe("http://new.example.com/pic");
      expect(toHex(prof.picture!.key)).toBe(
        "7177657274007975696f31323334353637383930313233343536373839303132",
      );
      expect(prof.noteToSelfPriority).toBe(9);
      expect(prof.noteToSelfExpiry).toBe(86400);
      expect(prof.blindedMessageRequests).toBe(true);
    }
  });

  it("an edit that changes nothing takes no seqno and needs no push", () => {
    const p = new UserConfig("UserProfile", sk);
    p.edit((d) => userConfig.writeUserProfile(d, { name: "Same" }));
    p.pushed(p.pushMessage().seqno);
    expect(p.edit((d) => userConfig.writeUserProfile(d, { name: "Same" }))).toBe(false);
    expect(p.seqno).toBe(1);
    expect(p.needsPush).toBe(false);
  });

  it("a change made while a push is in flight takes the next seqno and still needs pushing", () => {
    const p = new UserConfig("UserProfile", sk);
    p.edit((d) => userConfig.writeUserProfile(d, { name: "One" }));
    const first = p.pushMessage();
    p.edit((d) => userConfig.writeUserProfile(d, { name: "Two" }));
    expect(p.seqno).toBe(2);
    p.pushed(first.seqno);
    expect(p.needsPush).toBe(true);
    p.pushed(p.pushMessage().seqno);
    expect(p.needsPush).toBe(false);
  });

  it("ignores wrapped messages of another kind or another account, and garbage", () => {
    const p = new UserConfig("UserProfile", sk);
    p.edit((d) => userConfig.writeUserProfile(d, { name: "Me" }));
    const mine = p.pushMessage().data;
    const c = new UserConfig("Contacts", sk);
    expect(c.mergeMessages([mine])).toBe(false);
    const other = new UserConfig(
      "UserProfile",
      keypairFromSeed(new Uint8Array(32).fill(7)).ed25519.secretKey,
    );
    expect(other.mergeMessages([mine, new Uint8Array([1, 2, 3])])).toBe(false);
    expect(other.seqno).toBe(0);
    // The envelope is the one libsession builds: a session message with timestamp 1.
    const env = decodeEnvelope(decodeWebSocketMessage(mine).request!.body!);
    expect(env.type).toBe(6);
    expect(env.timestamp).toBe(1);
  });
});

// Behaviour from tests/test_config_contacts.cpp.
describe("contacts config (test_config_contacts.cpp)", () => {
  const real = "050000000000000000000000000000000000000000000000000000000000000000";
  const another = "051111111111111111111111111111111111111111111111111111111111111111";
  const third = "052222222222222222222222222222222222222222222222222222222222222222";

  it("writes libsession's keys: n always, flags only when set, keyed by the 33-byte ID", () => {
    const c = new UserConfig("Contacts", sk);
    c.edit((d) =>
      userConfig.writeContact(d, real, {
        name: "Joe",
        nickname: "Joey",
        approved: true,
        approvedMe: true,
        created: 1_680_000_000,
        notifications: 1,
      }),
    );
    c.edit((d) => userConfig.writeContact(d, another, {}));
    const m = ConfigMessage.parse(c.serialize());
    const bytes = text(c.serialize());
    expect(bytes).toContain(
      `33:${bytesToBin(fromHex(real))}d1:@i1e1:Ai1e1:N4:Joey1:ai1e1:ji1680000000e1:n3:Joee`,
    );
    expect(bytes).toContain(`33:${bytesToBin(fromHex(another))}d1:n0:e`);
    expect(userConfig.readContacts(m.data).map((x) => x.sessionId)).toEqual([real, another]);
    const joe = userConfig.getContact(c.data, real)!;
    expect(joe).toMatchObject({
      name: "Joe",
      nickname: "Joey",
      approved: true,
      approvedMe: true,
      blocked: false,
    });
    expect(joe.created).toBe(1_680_000_000);
    expect(joe.notifications).toBe(1);
  });

  it("an erase on one device and additions on another converge on both devices", () => {
    const a = new UserConfig("Contacts", sk);
    a.edit((d) =>
      userConfig.writeContact(d, real, { name: "Joe", nickname: "Joey", approved: true, approvedMe: true }),
    );
    const p1 = a.pushMessage();
    a.pushed(p1.seqno);
    const b = new UserConfig("Contacts", sk);
    b.mergeMessages([p1.data]);
    b.edit((d) => userConfig.writeContact(d, another, {}));
    const p2 = b.pushMessage();
    b.pushed(p2.seqno);
    a.mergeMessages([p2.data]);
    expect(a.needsPush).toBe(false);
    expect(userConfig.readContacts(a.data).map((x) => x.sessionId)).toEqual([real, another]);

    a.edit((d) => userConfig.removeContact(d, real));
    b.edit((d) =>
      userConfig.writeContact(d, third, {
        nickname: "Nickname 3",
        approved: true,
        blocked: true,
        picture: { url: "http://example.com/huge.bmp", key: utf8Key("qwerty78901234567890123456789012") },
      }),
    );
    const pa = a.pushMessage();
    const pb = b.pushMessage();
    expect(pa.seqno).toBe(pb.seqno);
    a.pushed(pa.seqno);
    b.pushed(pb.seqno);
    a.mergeMessages([pb.data]);
    b.mergeMessages([pa.data]);
    expect(a.needsPush && b.needsPush).toBe(true);
    const ma = a.pushMessage();
    const mb = b.pushMessage();
    expect(ma.seqno).toBe(pa.seqno + 1);
    expect(toHex(ma.data)).toBe(toHex(mb.data));
    for (const c of [a, b]) {
      const all = userConfig.readContacts(c.data);
      expect(all.map((x) => x.sessionId)).toEqual([another, third]);
      expect(all.map((x) => x.nickname ?? "(N/A)")).toEqual(["(N/A)", "Nickname 3"]);
      expect(all[1]).toMatchObject({ approved: true, blocked: true });
      expect(all[1]!.picture?.url).toBe("http://example.com/huge.bmp");
    }
  });

  it("keeps keys it does not know when it rewrites a contact", () => {
    const c = new UserConfig("Contacts", sk);
    c.edit((d) => {
      userConfig.writeContact(d, real, { name: "Joe" });
      const e = (d.c as Record<string, Record<string, unknown>>)[bytesToBin(fromHex(real))]!;
      e.Z = 5;
    });
    c.edit((d) => userConfig.writeContact(d, real, { blocked: true }));
    const e = (c.data.c as Record<string, Record<string, unknown>>)[bytesToBin(fromHex(real))]!;
    expect(e).toMatchObject({ Z: 5, b: 1, n: "Joe" });
    expect(() => c.edit((d) => userConfig.writeContact(d, "not an id", {}))).toThrow(/not a Session ID/);
  });
});

describe("convo_info_volatile config", () => {
  const id = `05${"ab".repeat(32)}`;
  const now = 1_700_000_000_000;

  it("records last-read times and unread flags as libsession does, prunes old read conversations", () => {
    const c = new UserConfig("ConvoInfoVolatile", sk);
    c.edit((d) => userConfig.writeConvo1to1(d, { sessionId: id, lastRead: now - 1000, unread: false }, now));
    expect(text(c.serialize())).toContain(`1:1d33:${bytesToBin(fromHex(id))}d1:ri${now - 1000}eee`);
    // Older than 30 days: ignored unless it moves an existing value back.
    c.edit((d) =>
      userConfig.writeConvo1to1(d, { sessionId: id, lastRead: now - 31 * 86400_000, unread: true }, now),
    );
    expect(userConfig.readConvos1to1(c.data)).toEqual([
      { sessionId: id, lastRead: now - 31 * 86400_000, unread: true },
    ]);
    const other = `05${"cd".repeat(32)}`;
    c.edit((d) =>
      userConfig.writeConvo1to1(d, { sessionId: other, lastRead: now - 40 * 86400_000, unread: false }, now),
    );
    expect(userConfig.readConvos1to1(c.data).map((x) => x.sessionId)).toEqual([id]);
    c.edit((d) =>
      userConfig.writeConvo1to1(d, { sessionId: id, lastRead: now - 46 * 86400_000, unread: false }, now),
    );
    c.edit((d) => userConfig.pruneStaleConvos(d, now));
    expect(userConfig.readConvos1to1(c.data)).toEqual([]);
  });
});

// tests/test_proto.cpp: a config an old Session client wrapped (verb PUT, path /api/v1/message).
const oldClientConfig =
  "080112c2060a03505554120f2f6170692f76312f6d6573736167651a9f060806120028e1c5a0beaf313801" +
  "428f065228bb32b820169e0acb266f02efa007276be0668013a278fc9bfc111a40136f63de4206943c0509" +
  "6155fa480cd0a7f5d27d6297166f5ed5c2a323ecdf7a754308dd385cdce81e7ed3a0a305577838105a0798" +
  "dd92540f4b8eaa74f8c5720e0a394ce005444322354d6dfe1cb527520145f3794718e42730e15c97f7e45f" +
  "b53f9f7d3918ee57e5c8462f80ae0d64792c261feb4b9ce06b18a10b3d8f7af8f791b1368bd4ae9bbe0036" +
  "dc77f547c001e26c9c986269281bc3e8ef38c42ad2a02a9be517fc85c0c8fa4732f79138910f85bba0f898" +
  "f278d8c2ed3e7d00cc5b4f1eb32ffc9572ec98fac529bec7ad8560dc06fc986516c00232e9618c372c0f57" +
  "c19283e0424ec91864aad7277e22c085443cc0bfd39c0a83f0a1a8f856850ede7a751bd6206cb6683e462a" +
  "033ad282e4947adbbe4973e823676ae0a72aa5f0f607f306fe82b91da9b7fe79d4fb4e8a45cb9ad5f20c15" +
  "1a84073cc62d7ac794fdd2fe57bf49f1089f8644ad9f73d154d14c63d5ca7a07d1b6ab6b5846b2f4785fbf" +
  "738de23c250a711f54c941fd6f5aac4417125bb2d0321cd9f1b97a31f310d4ea8149732276b8df9869fbc5" +
  "412c9b7772961fab800a356155549ef54cefb9407d7f10b4323824aa8ea13facc79003b84dae3e5ef0db27" +
  "5b056f4fbdf54f5f22e62291af8427fc17c3c1b3985f6ee149729d8a5b794b7e374f408eb8f36a76a89680" +
  "e3c6106a9d5a82f6f04f5d8b603a97140b6469daac0ef32f84cc4ffc05f43c084591b10834b1d16d65ce14" +
  "15dec77cb5851c338ccbb0d5ae2d2c1e5bc8ba0f59dfbc4575fd446c8486a1ac5370d5da8eb041f2ed560a" +
  "bc1a6ad6ce6e00369ec5fd5eb0a35411ed24b36ecbf80f1dc6c18452c4b4bfc59131e04400df8986cac95c" +
  "51bbd320ba901ff6110dad0c70442286cf6220a53c6f9693636a42d5523eeb1e5fb3453169581384fb8a8f" +
  "3914fb6c01900a4f872f55742b117ddd7bd40c4c5911bb214e28eb9450dbdd0d831a93054c63f9a04bf50c" +
  "db9aac0032c484062d7ba7bbe64e07bcd633eec8378d5d914732693c5e298f015ebde2ae45769ed319e267" +
  "f0528f5cc6da268343b6647b20bae6e9ee8d92cca702";

describe("protobuf wrapping (test_proto.cpp)", () => {
  it("unwraps an old client's wrapped config; a tampered wrapper or another kind is refused", () => {
    const oldSk = keypairFromSeed(fromHex("f887566576de6c16d9ec251d55e24c1400000000000000000000000000000000"))
      .ed25519.secretKey;
    const wrapped = fromHex(oldClientConfig);
    const inner = unwrapUserConfig(oldSk, wrapped, UserConfigKinds.UserProfile.kind);
    expect(inner).toBeDefined();
    expect(unwrapUserConfig(oldSk, wrapped, UserConfigKinds.Contacts.kind)).toBeUndefined();
    expect(unwrapUserConfig(sk, wrapped, UserConfigKinds.UserProfile.kind)).toBeUndefined();
    const addendum = new Uint8Array(Buffer.from("jfeejj0ifdoesam"));
    for (const at of [0, wrapped.length - 4, wrapped.length]) {
      const t = new Uint8Array([...wrapped.subarray(0, at), ...addendum, ...wrapped.subarray(at)]);
      expect(unwrapUserConfig(oldSk, t, UserConfigKinds.UserProfile.kind), `at ${at}`).toBeUndefined();
    }
    // Every kind round-trips through our own wrapping.
    for (const kind of [1, 2, 3, 4]) {
      const msg = new Uint8Array(Buffer.from("Hello from the other side"));
      const w = wrapUserConfig(sk, msg, 1, kind);
      expect(Buffer.from(unwrapUserConfig(sk, w, kind)!)).toEqual(Buffer.from(msg));
    }
  });
});
