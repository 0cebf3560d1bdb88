// Closed groups on a local 12-node devnet: time to send one message to a 100-member group, time
// until every member has received it (each syncing through its own 3-hop onion path), and the
// bytes one group message costs (stored once, whatever the member count).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevnet } from "@session/devnet";
import { createIdentity, type GroupMessage, Groups, SessionClient } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "client-groups-bench-"));
const devnet = await startDevnet({ nodes: 12, dataDir: dir, fileServer: false, pushServer: false });
const mk = async () => {
  const identity = createIdentity();
  const client = new SessionClient({ identity, seeds: [devnet.seed] });
  await client.connect();
  return { client, groups: new Groups(client, identity), id: identity.sessionId };
};
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

const admin = await mk();
const members = [];
for (let i = 0; i < 99; i++) members.push(await mk());
const g = await admin.groups.create("bench");
await admin.groups.invite(
  g.id,
  members.map((m) => m.id),
);
const joined = [];
for (let i = 0; i < members.length; i += 10) {
  joined.push(
    ...(await Promise.all(
      members.slice(i, i + 10).map(async (m) => {
        while (!m.groups.pendingInvitations().length) await m.client.poll();
        const gm = await m.groups.accept(g.id);
        await gm.sync();
        return gm;
      }),
    )),
  );
}

const sendMs: number[] = [];
const allReceivedMs: number[] = [];
for (let round = 0; round < 5; round++) {
  const text = `round ${round}`;
  const t0 = performance.now();
  await g.send(text);
  sendMs.push(performance.now() - t0);
  // Every member syncs (10 at a time) until it has the message.
  for (let i = 0; i < joined.length; i += 10) {
    await Promise.all(
      joined.slice(i, i + 10).map(async (gm) => {
        const got: GroupMessage[] = [];
        while (!got.some((m) => m.text === text)) got.push(...(await gm.sync()));
      }),
    );
  }
  allReceivedMs.push(performance.now() - t0);
}

// Bytes per message: the stored data (base64 in the store request) for a short text.
const { encryptGroupMessage } = await import("@session/protocol/groups");
const { encodeEnvelope, encodeContent, EnvelopeType } = await import("@session/protocol");
const { padMessage } = await import("@session/crypto");
const plain = encodeEnvelope({
  type: EnvelopeType.CLOSED_GROUP_MESSAGE,
  source: g.id,
  timestamp: Date.now(),
  content: padMessage(encodeContent({ dataMessage: { body: "round 0" } })),
});
const enc = encryptGroupMessage(createIdentity().keys.ed25519.secretKey, g.keys.current().key, plain);

console.log("client: closed group of 100 members (12-node devnet, loopback, 3-hop onion paths)");
console.log(
  `  send (one store to the group swarm): median ${pct(sendMs, 0.5).toFixed(1)} ms   max ${Math.max(...sendMs).toFixed(1)} ms`,
);
console.log(
  `  until all 99 other members have it (syncing 10 at a time): median ${pct(allReceivedMs, 0.5).toFixed(0)} ms   max ${Math.max(...allReceivedMs).toFixed(0)} ms`,
);
console.log(
  `  one short text message: ${enc.length} bytes encrypted (${Math.ceil(enc.length / 3) * 4} as stored base64), stored once for all 100 members`,
);
await devnet.stop();
rmSync(dir, { recursive: true, force: true });
