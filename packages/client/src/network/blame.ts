/**
 * Which node a failed onion request is blamed on. Session's clients (session-desktop
 * `onions.ts` / `onionPath.ts`, libsession) blame a named node when a relay names one, and
 * otherwise spread single strikes over the path past the guard; we do the same.
 */

/** How a request through a path failed, as the client saw it. */
export type PathFailure =
  /** The guard could not be reached at all (refused, reset, DNS…): the client's own observation. */
  | { kind: "guard-unreachable" }
  /** No answer within the client's timeout: any node of the path may be the slow one. */
  | { kind: "timeout" }
  /** A relay answered with a non-200 status and a plain-text error. */
  | { kind: "status"; status: number; body: string }
  /** 200, but the reply did not open or parse: some hop garbled it. */
  | { kind: "garbled" };

export interface Blame {
  /** Clear evidence: these nodes are down or unknown (struck out). */
  down: string[];
  /** Weak evidence: one strike each. */
  suspect: string[];
  /** The destination node itself is the one down: another destination must be tried. */
  destinationDown: boolean;
  /** The HTTP server behind the last hop failed (not a node): a new path will not help. */
  serverFailed: boolean;
}

/*
 * The texts relays answer (apps/node/src/onion/README.md): "Next node not found: <ed25519>" is
 * oxenss's wording for a node missing from the relay's list; "Next node unreachable: <ed25519>"
 * is ours for a node the relay could not connect to (oxenss answers that case with a bare 504
 * "Request time out"); "Snode not ready: <ed25519>" is a node that is starting.
 */
const NAMED = /^(Next node not found|Next node unreachable): ([0-9a-fA-F]{64})\s*$/;
const NOT_READY = /^Snode not ready: ([0-9a-fA-F]{64})\s*$/;
const SERVER_FAILED = /^Onion proxied request failed/;

/**
 * Blame for one failure on `path` (Ed25519 keys, guard first) toward `destination` (a node's
 * key, or undefined for an HTTP server behind the last hop).
 */
export function blameFor(failure: PathFailure, path: readonly string[], destination?: string): Blame {
  const none: Blame = { down: [], suspect: [], destinationDown: false, serverFailed: false };
  const afterGuard = path.slice(1);
  switch (failure.kind) {
    case "guard-unreachable":
      return { ...none, down: path.slice(0, 1) };
    case "timeout":
      return { ...none, suspect: [...path] };
    case "garbled":
      // The guard answered, so it is up; what it passed on came from further along.
      return { ...none, suspect: afterGuard };
    case "status": {
      const named = NAMED.exec(failure.body.trim());
      if (named) {
        const key = named[2]!.toLowerCase();
        // A relay can only name its next hop: the path past the guard, or the destination.
        const known = afterGuard.includes(key) || key === destination;
        if (known) return { ...none, down: [key], destinationDown: key === destination };
      }
      const notReady = NOT_READY.exec(failure.body.trim());
      if (notReady) {
        const key = notReady[1]!.toLowerCase();
        if (path.includes(key) || key === destination) {
          return { ...none, suspect: [key], destinationDown: key === destination };
        }
      }
      if (destination === undefined && SERVER_FAILED.test(failure.body)) {
        return { ...none, serverFailed: true };
      }
      return { ...none, suspect: afterGuard };
    }
  }
}
