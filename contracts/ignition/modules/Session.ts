// The Session module for `hardhat ignition deploy`; defined in src/ so that src/ignition.ts (the
// devnet's and rehearsal's deployment path) runs the very same module.
export { default } from "../../src/session-module.ts";
