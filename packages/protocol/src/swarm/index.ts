// Service nodes and swarms: the node record, pubkey → swarm placement, swarm assignment, seed
// bootstrap and the oxend-style service-node list. Subpath `@session/protocol/swarm`; the root
// entry re-exports the client side (NodeInfo, swarmForPubkey).

// Node records

export { type NodeInfo, nodeInfoSchema, toSwarmSnode } from "./node-info.ts";

// Pubkey → swarm

export { swarmForPubkey } from "./space.ts";

// Swarm assignment (registry → swarms)

export { assignSwarms, type SwarmMember } from "./assign.ts";

// Seed bootstrap

export { type ReachableNode, SEED_JSON_RPC_PATH, seedResponseSchema, usableSeedNodes } from "./seed.ts";

// Service-node list (get_n_service_nodes / get_service_nodes)

export {
  answerServiceNodesJsonRpc,
  parseServiceNodesParams,
  ServiceNodesParamsError,
  type ServiceNodesState,
  serviceNodesResult,
} from "./service-nodes.ts";
