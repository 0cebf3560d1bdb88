export { type Devnet, type DevnetNode, type DevnetOptions, startDevnet } from "./devnet.ts";
export {
  type ProcessNet,
  type ProcessNetOptions,
  type ProcessNode,
  type ProcessNodeInfo,
  startProcessNet,
} from "./process-net.ts";
