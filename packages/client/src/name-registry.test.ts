import {
  defaultDeployParams,
  deploySessionContracts,
  type InProcessChain,
  seshAbi,
  sessionNameServiceAbi,
  startInProcessChain,
} from "@session/contracts";
import { revertReason } from "@session/contracts/wallet";
import { Contract, type Signer } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIdentity } from "./identity.ts";
import { NameRegistry } from "./name-registry.ts";
import type { PendingRegistration } from "./name-types.ts";

let chain: InProcessChain;
let address: string;
const users: Signer[] = [];

beforeAll(async () => {
  chain = await startInProcessChain();
  const admin = await chain.signer(0);
  const d = await deploySessionContracts(admin, defaultDeployParams(await admin.getAddress()));
  address = d.sessionNameService;
  const sesh = new Contract(d.sesh, seshAbi as never, admin);
  for (const i of [1, 2]) {
    const s = await chain.signer(i);
    await (await sesh.getFunction("transfer")(await s.getAddress(), 1000n * 10n ** 9n)).wait();
    users.push(s);
  }
}, 60_000);
afterAll(() => chain?.close());

/** A registry for `signer` whose progress lines are kept; `onLine` sees each as it comes. */
function registry(signer: Signer, onLine: (line: string) => void = () => {}) {
  const lines: string[] = [];
  const names = new NameRegistry({
    address,
    provider: chain.provider,
    signer,
    pollMs: 50,
    progress: (l) => {
      lines.push(l);
      onLine(l);
    },
  });
  return { names, lines };
}

describe("NameRegistry", () => {
  it("two wallets reveal the same name: one gets it, the other's revert is decoded as NAME_TAKEN", async () => {
    let waiting = 0;
    const onLine = (l: string) => {
      // Both commitments made and waiting: move chain time on once, without mining.
      if (l.startsWith("step 2/3") && ++waiting === 2) void chain.provider.send("evm_increaseTime", [61]);
    };
    const a = registry(users[0]!, onLine);
    const b = registry(users[1]!, onLine);
    const ids = [createIdentity().sessionId, createIdentity().sessionId];
    const results = await Promise.allSettled([
      a.names.register("contested", ids[0]!),
      b.names.register("contested", ids[1]!),
    ]);
    const won = results.findIndex((r) => r.status === "fulfilled");
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
    expect(won).toBeGreaterThanOrEqual(0);
    expect(lost?.reason).toMatchObject({ code: "NAME_TAKEN" });
    expect(String(lost?.reason.message)).toMatch(/^register: the name is taken \(NameUnavailable\(\)\)$/);
    const info = await a.names.lookup("Contested");
    expect(info).toMatchObject({
      name: "contested",
      owner: await users[won]!.getAddress(),
      state: "active",
      declaredLength: 9,
      sessionId: ids[won],
    });
    expect(a.lines.some((l) => l.startsWith("commit: sent 0x"))).toBe(true);
    expect(a.lines.some((l) => l.startsWith("approve: mined in block"))).toBe(true);
  }, 60_000);

  it("an interrupted registration resumes its commitment: no second commit, the same record", async () => {
    const id = createIdentity().sessionId;
    let saved: PendingRegistration | undefined;
    const crashing = new NameRegistry({
      address,
      provider: chain.provider,
      signer: users[0]!,
      progress: (l) => {
        if (l.startsWith("step 2/3")) throw new Error("interrupted while waiting");
      },
    });
    await expect(
      crashing.register("resumed", id, {
        onPending: (p) => {
          saved = p;
        },
      }),
    ).rejects.toThrow("interrupted while waiting");
    expect(saved).toMatchObject({ name: "resumed", sessionId: id, years: 1 });
    // Another Session ID is another registration: it does not reuse the saved one.
    const other = registry(users[0]!);
    let otherPending: PendingRegistration | undefined;
    const stop = new Error("stop after commit");
    await expect(
      new NameRegistry({
        address,
        provider: chain.provider,
        signer: users[0]!,
        progress: (l) => {
          if (l.startsWith("step 2/3")) throw stop;
        },
      }).register("resumed", createIdentity().sessionId, {
        resume: saved,
        onPending: (p) => {
          otherPending = p;
        },
      }),
    ).rejects.toBe(stop);
    expect(otherPending?.commitment).not.toBe(saved!.commitment);

    const again = registry(users[0]!, (l) => {
      if (l.startsWith("step 2/3")) void chain.provider.send("evm_increaseTime", [61]);
    });
    const r = await again.names.register("resumed", id, { resume: saved });
    expect(again.lines.some((l) => l.startsWith('step 1/3: reusing the commitment to "resumed"'))).toBe(true);
    expect(again.lines.some((l) => l.startsWith("commit:"))).toBe(false);
    expect(r.owner).toBe(await users[0]!.getAddress());
    expect((await other.names.lookup("resumed"))?.sessionId).toBe(id);
  }, 60_000);

  it("revert data is found where an automining chain puts it (a refused send that ethers cannot coalesce)", async () => {
    const sns = new Contract(address, sessionNameServiceAbi as never, users[0]!);
    // A fixed gas limit skips estimation: the chain itself refuses the reverting transaction.
    const e = await sns
      .getFunction("setRecord")(`0x${"11".repeat(32)}`, `0x${"00".repeat(73)}`, { gasLimit: 300_000 })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect((e as { shortMessage?: string }).shortMessage).toBe("could not coalesce error");
    expect(revertReason(e, sns.interface)).toBe("NotNameOwner()");
  });

  it("lookup of an unknown name is null; prices follow the length; reads need no wallet", async () => {
    const reader = new NameRegistry({ address, provider: chain.provider });
    expect(await reader.lookup("never-registered")).toBeNull();
    expect(await reader.price("abcde", 2)).toBe(20n * 10n ** 9n);
    expect(await reader.price("ab")).toBe(1000n * 10n ** 9n);
    await expect(reader.renew("contested")).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
    await expect(reader.price("a_b")).rejects.toMatchObject({ code: "BAD_NAME" });
    await expect(reader.price("abc", 0)).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
  });
});
