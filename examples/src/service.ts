import { ClientError, createIdentity, loadIdentity, SessionClient, saveIdentity } from "@session/client";

/** The service's account (created on first start, kept in the data dir) connected to the network. */
export async function serviceClient(e: { network: string; dataDir: string }): Promise<SessionClient> {
  let identity: ReturnType<typeof loadIdentity>;
  try {
    identity = loadIdentity(e.dataDir);
  } catch (err) {
    if (!(err instanceof ClientError && err.code === "NO_IDENTITY")) throw err;
    identity = createIdentity();
    saveIdentity(e.dataDir, identity);
  }
  const client = new SessionClient({ identity, seeds: [e.network], dataDir: e.dataDir });
  await client.connect();
  return client;
}
