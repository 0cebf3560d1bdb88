import { createIdentity, Groups, openPushNotification as open, SessionClient } from "@session/client";
import { randomBytesArray, unpadMessage } from "@session/crypto";
import type { Devnet } from "@session/devnet";
import { decodeContent, decodeEnvelope } from "@session/protocol";
import { decryptGroupMessage } from "@session/protocol/groups";
import type { RunningServer } from "@session/service-kit";
import { describe, expect, it } from "vitest";
import type { PushServer } from "../src/server.ts";
import { devnetPushSuite } from "./devnet-push.ts";
import type { FcmStandIn } from "./fcm-stand-in.ts";
import { waitFor } from "./helpers.ts";

let devnet: Devnet;
let fcm: FcmStandIn;
let push: PushServer;
let server: RunningServer;
devnetPushSuite("push-groups", (net) => {
  ({ devnet, fcm, push, server } = net);
});

async function account() {
  const identity = createIdentity();
  const client = new SessionClient({ identity, seeds: [devnet.seed] });
  await client.connect();
  return { client, groups: new Groups(client, identity), id: identity.sessionId };
}

describe("push notifications for closed groups", () => {
  it("a member subscribes to its group with its subaccount and is notified of group messages", async () => {
    const [admin, member] = await Promise.all([account(), account()]);
    const g = await admin.groups.create("Pushed");
    await admin.groups.invite(g.id, [member.id]);
    await waitFor("invitation", async () => {
      await member.client.poll();
      return member.groups.pendingInvitations().length > 0;
    });
    const gm = await member.groups.accept(g.id);
    const encKey = randomBytesArray(32);
    const body = gm.pushSubscription({ service: "firebase", token: "member-phone", encKey, data: true });
    // The member signs with its group subaccount, not with the group key it does not have.
    expect(body).toHaveProperty("subaccount");
    const res = await fetch(`${server.url}/subscribe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(await res.json()).toMatchObject({ success: true, added: true });
    await waitFor("monitor streams on the group", () => push.watcher.openStreams(g.id) >= 1);
    await push.watcher.settled();
    const before = fcm.received.length;
    const sent = await g.send("ring ring");
    await waitFor("notification", () => fcm.received.length > before);
    const n = fcm.received[before]!;
    expect(n.body.message.token).toBe("member-phone");
    const opened = open(n.body.message.data.enc_payload, encKey);
    expect(opened).toMatchObject({ account: g.id, namespace: 11, hash: sent.hash });
    // The notification carries the encrypted group message: the member opens it with its keys.
    const msg = decryptGroupMessage(
      gm.keys.all().map((k) => k.key),
      opened.body!,
    );
    expect(msg.sender).toBe(admin.id);
    const env = decodeEnvelope(msg.plaintext);
    expect(env.source).toBe(g.id);
    expect(decodeContent(unpadMessage(env.content!)).dataMessage?.body).toBe("ring ring");
    // A forged subscription (wrong subaccount signature) is refused.
    const forged = {
      ...body,
      signature: body.signature === "00".repeat(64) ? "11".repeat(64) : "00".repeat(64),
    };
    const bad = await fetch(`${server.url}/subscribe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(forged),
    });
    const refused = (await bad.json()) as { success?: boolean; error?: number };
    expect(refused.success).not.toBe(true);
    expect(refused.error).toBeGreaterThan(0);
  }, 90_000);
});
