export { type Devnet, type DevnetNode, type DevnetOptions, startDevnet } from "./devnet.ts";
