/** Quotes a value for a POSIX shell (single quotes; a quote inside becomes '\''). */
function shellQuote(v: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`;
}

/**
 * The line a developer pastes into their shell so `session` needs no flags:
 * `export SESSION_NETWORK=<pinned seed> [SESSION_FILE_SERVER=<url> SESSION_FILE_SERVER_KEY=<x25519>]
 * [SESSION_RPC_URL=<chain> SESSION_DEPLOYMENT_FILE=<file>]` (the last two for `session name`).
 */
export function envLine(d: {
  seed: string;
  fileServer?: { url: string; x25519: string } | undefined;
  chainUrl?: string | undefined;
  deploymentFile?: string | undefined;
}): string {
  const vars: [string, string][] = [["SESSION_NETWORK", d.seed]];
  if (d.fileServer)
    vars.push(["SESSION_FILE_SERVER", d.fileServer.url], ["SESSION_FILE_SERVER_KEY", d.fileServer.x25519]);
  if (d.chainUrl && d.deploymentFile)
    vars.push(["SESSION_RPC_URL", d.chainUrl], ["SESSION_DEPLOYMENT_FILE", d.deploymentFile]);
  return `export ${vars.map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ")}`;
}
