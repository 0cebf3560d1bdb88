export { serviceNodeRegistryAbi, seshAbi, sessionNameServiceAbi, sessionTokenAbi } from "./abis.ts";
export { type InProcessChain, startInProcessChain } from "./chain.ts";
export {
  type Deployment,
  type DeployParams,
  defaultDeployParams,
  deploySessionContracts,
  deploySessionContracts as deployLocal,
} from "./deploy.ts";
