import { blake2b, fromHex, sign, toHex, verify } from "@session/crypto";
import { describe, expect, it } from "vitest";
import { binToBytes, bytesToBin } from "./bt.ts";
import { type ConfigDict, setAdd, setRemove } from "./config-data.ts";
import { ConfigMessage } from "./config-message.ts";

// Vectors from session-foundation/libsession-util tests/test_configdata.cpp.
const h = (hex: string) => bytesToBin(fromHex(hex));
const text = (m: ConfigMessage) => bytesToBin(m.serialize());
const d = (v: unknown) => v as ConfigDict;

const data118 = (): ConfigDict => ({
  dictB: { changed: -1, foo: 123, removed: "x", removed2: "y" },
  dictC: { x: { y: 1 } },
  good: [99, 456, "bar"],
  great: [-42, "omg"],
  int0: -9999,
  int1: 100,
  string1: "hello",
  string2: "goodbye",
});
const h119 = h("43094f68c1faa37eff79e1c2f3973ffd5f9d6423b00ccda306fc6e7dac5f0c44");
const h120 = h("e3a237f91014d31e4d30569c4a8bfcd72157804f99b8732c611c48bf126432b5");
const h121 = h("1a7f602055124deaf21175ef3f32983dee7c9de570e5d9c9a0bbc2db71dcb97f");
const h122 = h("46560604fe352101bb869435260d7100ccfe007be5f741c7e96303f02f394e8a");
const h123 = h("d9398c597b058ac7e28e3febb76ed68eb8c5b6c369610562ab5f2b596775d73c");
const h124 = h("8b73f316178765b9b3b37168e865c84bb5a78610cbb59b84d0fa4d3b4b3c102b");
const h125a = h("80f229c3667de6d0fa6f96b53118e097fbda82db3ca1aea221a3db91ea9c45fb");
const h125b = h("ab12f0efe9a9ed00db6b17b44ae0ff36b9f49094077fb114f415522f2a0e98de");

const m123Data =
  "1:&d5:dictBd7:changedi-1e3:fooi123e7:removed1:x8:removed21:ye5:dictCd1:xd1:yi1eee" +
  "4:goodli99ei456e3:bare5:greatli-42e3:omge4:int1i1e4:int2i2e7:string15:hello7:string27:goodbyee";
const m123 =
  `d1:#i123e${m123Data}1:<l` +
  `li119e32:${h119}deeli120e32:${h120}deeli121e32:${h121}deeli122e32:${h122}dee` +
  "e1:=d4:int01:-4:int10:4:int20:ee";

const diff124 =
  "d5:dictAd7:goodbyelli123ei456eelee5:hello0:e" +
  "5:dictBd5:added0:7:changed0:6:nestedd1:a0:e7:removed1:-8:removed21:-e" +
  "5:dictCd1:xd1:y1:-ee4:goodlli123e3:Fooeli456eee5:greatlleli-42e3:omgee" +
  "4:int10:7:string11:-7:string20:7:string30:e";

function updates124(m: ConfigMessage) {
  m.data.dictA = { hello: 123, goodbye: [123, 456] };
  const b = d(m.data.dictB);
  b.changed = 1;
  b.added = 9999;
  b.nested = { a: 1 };
  delete b.removed;
  delete b.removed2;
  delete m.data.dictC;
  const good = m.data.good as (string | number)[];
  setAdd(good, "Foo");
  setRemove(good, 456);
  setAdd(good, 123);
  m.data.int1 = 42;
  delete m.data.string1;
  m.data.string2 = "hello";
  m.data.string3 = "omg";
  delete m.data.great;
}

describe("libsession config messages", () => {
  it("serializes data, diffs and lagged diffs with libsession's hashes (serialization test)", () => {
    const m = new ConfigMessage(10);
    m.data.foo = 123;
    m.data.bar = { asdf: 123, xyz: "abc", "": [42, "a", "b"] };
    expect(text(m)).toBe(
      "d1:#i10e1:&d3:bard0:li42e1:a1:be4:asdfi123e3:xyz3:abce3:fooi123ee1:<le" +
        "1:=d3:bard0:lli42e1:a1:belee4:asdf0:3:xyz0:e3:foo0:ee",
    );
    const hash0 = "d65738bba88b0f3455cef20fe09a7b4b10f25f9db82be24a6ce1bd06da197526";
    expect(toHex(m.hash())).toBe(hash0);
    const m1 = m.increment();
    delete m1.data.foo;
    expect(toHex(m1.hash())).toBe("5b30b4abf4cba71db25dbc0d977cc25df1d0a8a87cad7f561cdec2b8caf65f5e");
    const m2 = m1.increment();
    m2.data.foo = 123;
    const bar = d(m2.data.bar);
    bar.xyz = 42;
    bar.a = 42;
    const s = bar[""] as (string | number)[];
    setAdd(s, "c");
    setAdd(s, 99);
    setRemove(s, "b");
    setAdd(s, 42);
    expect(toHex(m2.hash())).toBe("027552203cf669070d3ecbeecfa65c65497d59aa4da490e0f68f8131ce081320");
    const m5 = m2.increment().increment().increment();
    expect(toHex(m2.increment().hash())).toBe(
      "b83871ea06587f9254cdf2b2af8daff19bd7fb550fb90d5f8f9f546464c08bc5",
    );
    expect(toHex(m5.hash())).toBe("3234eb7da8cf4b79b9eec2a144247279d10f6f118184f82429a42c5996bea60c");
    expect(text(m5)).toContain("1:=dee");
  });

  it("signs everything before 1:~ and rejects broken or missing signatures (signature test)", () => {
    const sk = fromHex(
      "79f530dbf3d81aecc04072933c1b3e3edc0b7d91f2dcc2f7756f2611886cca5f4384261cdd338f5820ca9cbbe3fc72ac8944ee60d3b795b797fbbf5597b09f17",
    );
    const signer = (b: Uint8Array) => sign(b, sk);
    const verifier = (b: Uint8Array, sig: Uint8Array) => verify(sig, b, sk.subarray(32));
    const m = new ConfigMessage(10, { signer });
    m.data.foo = 123;
    m.data.bar = { asdf: 123, xyz: "abc", "": [42, "a", "b"] };
    const sig =
      "77267f4de7701ae348eba0ef73175281512ba3f1051cfed22dc3e31b9c6993302938863e09bc8b33638161071bd8dc397d5c1d3f674120d08fbb9c64dde2e907";
    const signedPart =
      "d1:#i10e1:&d3:bard0:li42e1:a1:be4:asdfi123e3:xyz3:abce3:fooi123ee1:<le" +
      "1:=d3:bard0:lli42e1:a1:belee4:asdf0:3:xyz0:e3:foo0:e";
    const expected = `${signedPart}1:~64:${h(sig)}e`;
    expect(text(m)).toBe(expected);
    const parsed = ConfigMessage.parse(binToBytes(expected), { verifier, signer });
    expect(toHex(parsed.hash())).toBe(toHex(m.hash()));
    expect(bytesToBin(parsed.serialize())).toBe(expected);
    const broken = binToBytes(expected);
    broken[broken.length - 2] = 0x17;
    expect(() => ConfigMessage.parse(broken, { verifier })).toThrow(/signature failed/);
    expect(() => ConfigMessage.merge([broken, broken], { verifier })).toThrow(/no valid config/);
    expect(ConfigMessage.merge([broken, binToBytes(expected)], { verifier, signer }).seqno).toBe(10);
    expect(() => ConfigMessage.parse(binToBytes(`${signedPart}e`), { verifier })).toThrow(/missing/);
  });

  it("ordinary updates, deserialization and increment (examples 1 and 2)", () => {
    let m = new ConfigMessage(118, { lag: 5 });
    m.data = data118();
    const m118 = text(m);
    expect(m118.startsWith("d1:#i118e1:&d5:dictBd7:changedi-1e")).toBe(true);
    expect(m118).toContain(
      "1:<le1:=d5:dictBd7:changed0:3:foo0:7:removed0:8:removed20:e5:dictCd1:xd1:y0:ee" +
        "4:goodlli99ei456e3:barelee5:greatlli-42e3:omgelee4:int00:4:int10:7:string10:7:string20:ee",
    );
    expect(toHex(m.hash())).toBe(toHex(blake2b(binToBytes(m118), 32)));
    const want = [h119, h120, h121, h122];
    for (const hh of want) {
      m = m.increment();
      expect(bytesToBin(m.hash())).toBe(hh);
    }
    m = m.increment();
    m.data.int1 = 1;
    m.data.int2 = 2;
    delete m.data.int0;
    m.data.string1 = "hello";
    expect(text(m)).toBe(m123);

    const parsed = ConfigMessage.parse(binToBytes(m123));
    expect(parsed.seqno).toBe(123);
    expect(bytesToBin(parsed.hash())).toBe(h123);
    expect(parsed.diff()).toEqual({ int0: "-", int1: "", int2: "" });
    const mut = parsed.mutableCopy();
    expect(mut.seqno).toBe(124);
    expect(toHex(mut.hash())).toBe("3ea36410cf7086ce816eb193b0c94e88632abfb75771d82f8ddb3a909124c580");
    expect(text(mut)).toBe(
      `d1:#i124e${m123Data}1:<lli120e32:${h120}deeli121e32:${h121}deeli122e32:${h122}dee` +
        `li123e32:${h123}d4:int01:-4:int10:4:int20:eee1:=dee`,
    );

    updates124(mut);
    expect(text(mut)).toContain(`1:=${diff124}e`);
    expect(bytesToBin(mut.hash())).toBe(h124);
  });

  it("rejects unpruned empty sets and dicts", () => {
    expect(() => ConfigMessage.parse(binToBytes("d1:#i0e1:&d0:lee1:<le1:=dee"))).toThrow(/empty set/);
    expect(() => ConfigMessage.parse(binToBytes("d1:#i0e1:&d0:dee1:<le1:=dee"))).toThrow(/empty dict/);
  });

  it("merges a simple conflict to libsession's bytes in any order (example 3)", () => {
    const m124 = ConfigMessage.parse(binToBytes(m123)).mutableCopy();
    updates124(m124);
    const a = m124.increment();
    delete d(a.data.dictB).foo;
    const b = m124.increment();
    b.data.int1 = 5;
    expect(bytesToBin(a.hash())).toBe(h125a);
    expect(bytesToBin(b.hash())).toBe(h125b);
    const merged = ConfigMessage.merge([a.serialize(), b.serialize()]);
    expect(merged.merged).toBe(true);
    expect(merged.seqno).toBe(126);
    const m126 =
      "d1:#i126e1:&d5:dictAd7:goodbyeli123ei456ee5:helloi123ee" +
      "5:dictBd5:addedi9999e7:changedi1e6:nestedd1:ai1eee4:goodli99ei123e3:Foo3:bare" +
      "4:int1i5e4:int2i2e7:string25:hello7:string33:omge" +
      `1:<lli122e32:${h122}deeli123e32:${h123}d4:int01:-4:int10:4:int20:ee` +
      `li124e32:${h124}${diff124}eli125e32:${h125a}d5:dictBd3:foo1:-eeeli125e32:${h125b}d4:int10:eee` +
      "1:=dee";
    expect(text(merged)).toBe(m126);
    expect(text(ConfigMessage.merge([b.serialize(), a.serialize()]))).toBe(m126);
    expect(text(ConfigMessage.merge([m124.serialize(), b.serialize(), a.serialize()]))).toBe(m126);
    const old = new ConfigMessage(118, { lag: 5 }).increment().increment();
    old.data["too old"] = "won't see";
    expect(text(ConfigMessage.merge([b.serialize(), old.serialize(), a.serialize()]))).toBe(m126);
  });

  it("resolves a complex conflict and keeps editing the merge (example 4)", () => {
    const m123m = ConfigMessage.parse(binToBytes(m123));
    const m124a = m123m.increment();
    d(m124a.data.dictB).foo = 66;
    d(m124a.data.dictB).answer = 42;
    const m124b = m123m.increment();
    updates124(m124b);
    const m125a = m124b.increment();
    delete d(m125a.data.dictB).foo;
    const m125b = m124b.increment();
    m125b.data.int1 = 5;
    const m126a = ConfigMessage.merge([m125a.serialize(), m125b.serialize()]);
    const old = new ConfigMessage(118, { lag: 5 }).increment().increment();
    old.data["too old"] = "won't see";
    const m126b = ConfigMessage.merge([
      m125b.serialize(),
      m124a.serialize(),
      m125a.serialize(),
      m123m.serialize(),
      old.serialize(),
    ]);
    const m127 = ConfigMessage.merge([m126a.serialize(), m126b.serialize()]).mutableCopy();
    expect(m127.seqno).toBe(127);
    setAdd(d(m127.data.dictA).goodbye as number[], 789);
    expect(m127.data).toEqual({
      dictA: { goodbye: [123, 456, 789], hello: 123 },
      dictB: { added: 9999, answer: 42, changed: 1, nested: { a: 1 } },
      good: [99, 123, "Foo", "bar"],
      int1: 5,
      int2: 2,
      string2: "hello",
      string3: "omg",
    });
    const s = text(m127);
    expect(s).toContain(`li124e32:${bytesToBin(m124a.hash())}d5:dictBd6:answer0:3:foo0:eee`);
    expect(s).toContain(`li126e32:${bytesToBin(m126a.hash())}dee`);
    expect(s.endsWith("1:=d5:dictAd7:goodbyelli789eeleeeee")).toBe(true);
    const alt = ConfigMessage.merge([m127.serialize(), m125a.serialize(), m126b.serialize()]);
    expect(alt.seqno).toBe(127);
    expect(toHex(alt.hash())).toBe(toHex(m127.hash()));
  });
});
