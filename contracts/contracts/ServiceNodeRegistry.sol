// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Ed25519} from "./lib/Ed25519.sol";

/// @title ServiceNodeRegistry: SESH staking for Session nodes
/// @notice A node is registered with its Ed25519 key, X25519 key and endpoint, backed by a stake
///         equal to the staking requirement from its operator (at least 25 %) and up to 9 more
///         contributors. It is active once fully staked. Active nodes share a reward stream funded
///         into a pool: `rewardRate` tokens per second split equally among active nodes, then per
///         node the operator takes `feeBps` and the rest goes to contributors pro rata to stake.
///         Operators exit voluntarily (stakes unlock after `exitDelay`); a LIQUIDATOR_ROLE can remove
///         a misbehaving node, whose stakes lose `liquidationPenaltyBps` to the reward pool.
/// @dev Trust model: the real Session network authorises exits and liquidations with BLS
///      signatures aggregated from the network's nodes. This registry instead trusts the holder of
///      LIQUIDATOR_ROLE (intended: a multisig or timelock fed by node reports) for liquidations;
///      voluntary exits need only the operator. Reward accounting is O(1) per action: a global
///      per-node accumulator and, per node, a per-staked-token accumulator. Rounding dust stays in
///      the contract, so credited rewards never exceed what the pool funded.
///      Upgradeable (UUPS, DEFAULT_ADMIN_ROLE authorises upgrades); storage uses ERC-7201 slots.
///      Key proof: registering a node, or moving it, needs an Ed25519 signature by the node's own
///      key over `registrationMessage` (chain id, this registry, the operator, both node keys and
///      the endpoint), verified on-chain (lib/Ed25519.sol). So nobody can register, and thereby
///      block, a node key they do not hold, and a signature cannot be replayed by another operator,
///      on another chain or registry, or for another endpoint.
contract ServiceNodeRegistry is
    Initializable,
    AccessControlUpgradeable,
    PausableUpgradeable,
    ReentrancyGuardTransient,
    UUPSUpgradeable
{
    using SafeERC20 for IERC20;

    bytes32 public constant LIQUIDATOR_ROLE = keccak256("LIQUIDATOR_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    uint256 public constant MAX_CONTRIBUTORS = 10;
    uint256 public constant OPERATOR_MIN_BPS = 2500;
    uint256 public constant BPS = 10_000;
    uint256 private constant PRECISION = 1e18;

    enum Status {
        None,
        AwaitingContributions,
        Active,
        Exiting,
        Exited,
        Removed
    }

    struct Node {
        address operator;
        bytes32 ed25519Pubkey;
        bytes32 x25519Pubkey;
        uint32 ip;
        uint16 port;
        uint16 feeBps;
        Status status;
        uint64 unlockAt;
        uint256 stakingRequirement;
        uint256 totalStaked;
        /// Global per-node accumulator when this node last settled.
        uint256 globalCheckpoint;
        /// Contributor rewards per staked token (scaled by 1e18).
        uint256 rewardPerToken;
        address[] contributors;
    }

    /// @custom:storage-location erc7201:session.storage.ServiceNodeRegistry
    struct RegistryStorage {
        IERC20 token;
        uint256 stakingRequirement;
        uint256 exitDelay;
        uint256 liquidationPenaltyBps;
        uint256 rewardRate;
        uint256 rewardPool;
        uint256 globalRewardPerNode;
        uint256 lastRewardUpdate;
        uint256 activeNodeCount;
        uint256 nextNodeId;
        uint256 totalStaked;
        mapping(uint256 => Node) nodes;
        mapping(uint256 => mapping(address => uint256)) stakes;
        mapping(uint256 => mapping(address => uint256)) rewardDebt;
        mapping(address => uint256) operatorFees;
        mapping(bytes32 => uint256) nodeIdByEd25519;
    }

    // keccak256(abi.encode(uint256(keccak256("session.storage.ServiceNodeRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT = 0x0f3f2c69f70859f6a02335a40281121124f09451e3d3ca30cecd2cb050682300;

    event NodeRegistered(
        uint256 indexed nodeId,
        address indexed operator,
        bytes32 ed25519Pubkey,
        bytes32 x25519Pubkey,
        uint32 ip,
        uint16 port,
        uint16 feeBps,
        uint256 stakingRequirement
    );
    /// The node key's signature over `registrationMessage` for the endpoint now registered.
    event NodeKeyProof(uint256 indexed nodeId, bytes signature);
    event NodeContribution(uint256 indexed nodeId, address indexed contributor, uint256 amount, uint256 totalStaked);
    event NodeActivated(uint256 indexed nodeId);
    event NodeEndpointUpdated(uint256 indexed nodeId, uint32 ip, uint16 port);
    event NodeExitRequested(uint256 indexed nodeId, uint64 unlockAt);
    event NodeExited(uint256 indexed nodeId);
    event NodeLiquidated(uint256 indexed nodeId, address indexed liquidator, uint256 penalty, string reason);
    event StakeReturned(uint256 indexed nodeId, address indexed contributor, uint256 amount);
    event RewardsFunded(address indexed from, uint256 amount);
    event RewardsClaimed(address indexed account, uint256 amount);
    event RewardRateUpdated(uint256 rewardRate);
    event StakingRequirementUpdated(uint256 stakingRequirement);
    event ExitDelayUpdated(uint256 exitDelay);
    event LiquidationPenaltyUpdated(uint256 penaltyBps);

    error ZeroAddress();
    error InvalidKey();
    error KeyInUse(uint256 nodeId);
    error InvalidEndpoint();
    error InvalidKeyProof();
    error FeeTooHigh();
    error OperatorStakeTooLow(uint256 minimum);
    error StakeTooHigh(uint256 remaining);
    error ZeroAmount();
    error TooManyContributors();
    error UnknownNode(uint256 nodeId);
    error WrongStatus(uint256 nodeId, Status status);
    error NotOperator();
    error StillLocked(uint64 unlockAt);
    error InvalidParameter();
    error NothingToClaim();

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(
        address admin,
        IERC20 token_,
        uint256 stakingRequirement_,
        uint256 exitDelay_,
        uint256 liquidationPenaltyBps_,
        uint256 rewardRate_
    ) external initializer {
        if (admin == address(0) || address(token_) == address(0)) revert ZeroAddress();
        if (stakingRequirement_ == 0 || liquidationPenaltyBps_ > BPS) revert InvalidParameter();
        __AccessControl_init();
        __Pausable_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(LIQUIDATOR_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        RegistryStorage storage $ = _s();
        $.token = token_;
        $.stakingRequirement = stakingRequirement_;
        $.exitDelay = exitDelay_;
        $.liquidationPenaltyBps = liquidationPenaltyBps_;
        $.rewardRate = rewardRate_;
        $.lastRewardUpdate = block.timestamp;
        $.nextNodeId = 1;
    }

    // ---------------------------------------------------------------- registration and staking

    /// @notice The bytes a node's Ed25519 key signs to prove an operator may register (or move) it:
    ///         "session-node-registration" ‖ chain id (32) ‖ registry (20) ‖ operator (20) ‖
    ///         Ed25519 key (32) ‖ X25519 key (32) ‖ IPv4 (4) ‖ port (2), big-endian.
    function registrationMessage(
        address operator,
        bytes32 ed25519Pubkey,
        bytes32 x25519Pubkey,
        uint32 ip,
        uint16 port
    ) public view returns (bytes memory) {
        return abi.encodePacked(
            "session-node-registration", block.chainid, address(this), operator, ed25519Pubkey, x25519Pubkey, ip, port
        );
    }

    function _requireKeyProof(bytes32 ed, bytes32 x, uint32 ip, uint16 port, bytes calldata signature) internal view virtual {
        if (!Ed25519.verify(ed, registrationMessage(msg.sender, ed, x, ip, port), signature)) revert InvalidKeyProof();
    }

    /// @notice Registers a node with the caller as operator, staking `operatorStake` (≥ 25 % of the
    ///         requirement). With the full requirement the node is active at once. `signature` is the
    ///         node key's Ed25519 signature over `registrationMessage(msg.sender, …)`.
    function registerNode(
        bytes32 ed25519Pubkey,
        bytes32 x25519Pubkey,
        uint32 ip,
        uint16 port,
        uint16 feeBps,
        uint256 operatorStake,
        bytes calldata signature
    ) external whenNotPaused nonReentrant returns (uint256 nodeId) {
        if (ed25519Pubkey == bytes32(0) || x25519Pubkey == bytes32(0)) revert InvalidKey();
        if (ip == 0 || port == 0) revert InvalidEndpoint();
        _requireKeyProof(ed25519Pubkey, x25519Pubkey, ip, port, signature);
        nodeId = _register(ed25519Pubkey, x25519Pubkey, ip, port, feeBps, operatorStake);
        emit NodeKeyProof(nodeId, signature);
    }

    function _register(
        bytes32 ed25519Pubkey,
        bytes32 x25519Pubkey,
        uint32 ip,
        uint16 port,
        uint16 feeBps,
        uint256 operatorStake
    ) private returns (uint256 nodeId) {
        RegistryStorage storage $ = _s();
        uint256 existing = $.nodeIdByEd25519[ed25519Pubkey];
        if (existing != 0) revert KeyInUse(existing);
        if (feeBps > BPS) revert FeeTooHigh();
        uint256 requirement = $.stakingRequirement;
        uint256 minimum = (requirement * OPERATOR_MIN_BPS) / BPS;
        if (operatorStake < minimum) revert OperatorStakeTooLow(minimum);
        if (operatorStake > requirement) revert StakeTooHigh(requirement);

        nodeId = $.nextNodeId++;
        Node storage n = $.nodes[nodeId];
        n.operator = msg.sender;
        n.ed25519Pubkey = ed25519Pubkey;
        n.x25519Pubkey = x25519Pubkey;
        n.ip = ip;
        n.port = port;
        n.feeBps = feeBps;
        n.status = Status.AwaitingContributions;
        n.stakingRequirement = requirement;
        $.nodeIdByEd25519[ed25519Pubkey] = nodeId;
        emit NodeRegistered(nodeId, msg.sender, ed25519Pubkey, x25519Pubkey, ip, port, feeBps, requirement);
        _addStake($, nodeId, msg.sender, operatorStake);
    }

    /// @notice Adds stake to a node awaiting contributions; the node activates when full.
    function contribute(uint256 nodeId, uint256 amount) external whenNotPaused nonReentrant {
        RegistryStorage storage $ = _s();
        Node storage n = _node($, nodeId);
        if (n.status != Status.AwaitingContributions) revert WrongStatus(nodeId, n.status);
        if (amount == 0) revert ZeroAmount();
        uint256 remaining = n.stakingRequirement - n.totalStaked;
        if (amount > remaining) revert StakeTooHigh(remaining);
        _addStake($, nodeId, msg.sender, amount);
    }

    function _addStake(RegistryStorage storage $, uint256 nodeId, address from, uint256 amount) private {
        Node storage n = $.nodes[nodeId];
        if ($.stakes[nodeId][from] == 0) {
            if (n.contributors.length >= MAX_CONTRIBUTORS) revert TooManyContributors();
            n.contributors.push(from);
        }
        $.stakes[nodeId][from] += amount;
        n.totalStaked += amount;
        $.totalStaked += amount;
        $.token.safeTransferFrom(from, address(this), amount);
        emit NodeContribution(nodeId, from, amount, n.totalStaked);
        if (n.totalStaked == n.stakingRequirement) {
            _updateGlobal($);
            n.status = Status.Active;
            n.globalCheckpoint = $.globalRewardPerNode;
            $.activeNodeCount += 1;
            emit NodeActivated(nodeId);
        }
    }

    /// @notice The operator moves the node to a new endpoint, with the node key's signature over
    ///         `registrationMessage` for the new endpoint.
    function updateEndpoint(uint256 nodeId, uint32 ip, uint16 port, bytes calldata signature) external whenNotPaused {
        Node storage n = _node(_s(), nodeId);
        if (msg.sender != n.operator) revert NotOperator();
        if (n.status != Status.Active && n.status != Status.AwaitingContributions) revert WrongStatus(nodeId, n.status);
        if (ip == 0 || port == 0) revert InvalidEndpoint();
        _requireKeyProof(n.ed25519Pubkey, n.x25519Pubkey, ip, port, signature);
        n.ip = ip;
        n.port = port;
        emit NodeEndpointUpdated(nodeId, ip, port);
        emit NodeKeyProof(nodeId, signature);
    }

    // ---------------------------------------------------------------- exits and liquidation

    /// @notice The operator leaves the network. An active node stops earning now and its stakes
    ///         unlock after `exitDelay`; a node never activated refunds its stakes at once.
    function requestExit(uint256 nodeId) external nonReentrant {
        RegistryStorage storage $ = _s();
        Node storage n = _node($, nodeId);
        if (msg.sender != n.operator) revert NotOperator();
        if (n.status == Status.AwaitingContributions) {
            n.status = Status.Exited;
            emit NodeExited(nodeId);
            _returnStakes($, nodeId, 0);
            return;
        }
        if (n.status != Status.Active) revert WrongStatus(nodeId, n.status);
        _deactivate($, nodeId);
        n.status = Status.Exiting;
        n.unlockAt = uint64(block.timestamp + $.exitDelay);
        emit NodeExitRequested(nodeId, n.unlockAt);
    }

    /// @notice After the unlock delay, anyone can finalise the exit: every contributor gets its
    ///         stake back.
    function finalizeExit(uint256 nodeId) external nonReentrant {
        RegistryStorage storage $ = _s();
        Node storage n = _node($, nodeId);
        if (n.status != Status.Exiting) revert WrongStatus(nodeId, n.status);
        if (block.timestamp < n.unlockAt) revert StillLocked(n.unlockAt);
        n.status = Status.Exited;
        emit NodeExited(nodeId);
        _returnStakes($, nodeId, 0);
    }

    /// @notice Removes a misbehaving node. Each stake loses `liquidationPenaltyBps`, which is added
    ///         to the reward pool; the rest is returned. Rewards earned before removal stay claimable.
    function liquidate(uint256 nodeId, string calldata reason) external onlyRole(LIQUIDATOR_ROLE) nonReentrant {
        RegistryStorage storage $ = _s();
        Node storage n = _node($, nodeId);
        Status st = n.status;
        if (st != Status.Active && st != Status.AwaitingContributions && st != Status.Exiting) {
            revert WrongStatus(nodeId, st);
        }
        if (st == Status.Active) _deactivate($, nodeId);
        n.status = Status.Removed;
        uint256 penalty = _returnStakes($, nodeId, $.liquidationPenaltyBps);
        $.rewardPool += penalty;
        emit NodeLiquidated(nodeId, msg.sender, penalty, reason);
    }

    function _deactivate(RegistryStorage storage $, uint256 nodeId) private {
        _settleNode($, nodeId);
        $.activeNodeCount -= 1;
    }

    function _returnStakes(RegistryStorage storage $, uint256 nodeId, uint256 penaltyBps) private returns (uint256 penalty) {
        Node storage n = $.nodes[nodeId];
        delete $.nodeIdByEd25519[n.ed25519Pubkey];
        uint256 len = n.contributors.length;
        for (uint256 i = 0; i < len; i++) {
            address c = n.contributors[i];
            uint256 stake = $.stakes[nodeId][c];
            uint256 cut = (stake * penaltyBps) / BPS;
            penalty += cut;
            // Stakes stay recorded (rewards are computed from them); only the token moves.
            $.totalStaked -= stake;
            if (stake - cut > 0) {
                $.token.safeTransfer(c, stake - cut);
            }
            emit StakeReturned(nodeId, c, stake - cut);
        }
    }

    // ---------------------------------------------------------------- rewards

    /// @notice Adds tokens to the reward pool.
    function fundRewards(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        RegistryStorage storage $ = _s();
        _updateGlobal($);
        $.rewardPool += amount;
        $.token.safeTransferFrom(msg.sender, address(this), amount);
        emit RewardsFunded(msg.sender, amount);
    }

    /// @notice Claims the caller's rewards from the given nodes (contributor share) plus any
    ///         operator fees, in one transfer.
    function claimRewards(uint256[] calldata nodeIds) external whenNotPaused nonReentrant returns (uint256 amount) {
        RegistryStorage storage $ = _s();
        _updateGlobal($);
        for (uint256 i = 0; i < nodeIds.length; i++) {
            uint256 id = nodeIds[i];
            _node($, id);
            _settleNode($, id);
            amount += _collect($, id, msg.sender);
        }
        uint256 fees = $.operatorFees[msg.sender];
        if (fees > 0) {
            $.operatorFees[msg.sender] = 0;
            amount += fees;
        }
        if (amount == 0) revert NothingToClaim();
        $.token.safeTransfer(msg.sender, amount);
        emit RewardsClaimed(msg.sender, amount);
    }

    function _collect(RegistryStorage storage $, uint256 nodeId, address account) private returns (uint256 owed) {
        uint256 earned = ($.stakes[nodeId][account] * $.nodes[nodeId].rewardPerToken) / PRECISION;
        owed = earned - $.rewardDebt[nodeId][account];
        $.rewardDebt[nodeId][account] = earned;
    }

    /// Emits rewards since the last update into the per-node accumulator, never more than the pool.
    function _updateGlobal(RegistryStorage storage $) private {
        uint256 elapsed = block.timestamp - $.lastRewardUpdate;
        $.lastRewardUpdate = block.timestamp;
        uint256 count = $.activeNodeCount;
        if (elapsed == 0 || count == 0) return;
        uint256 emitted = elapsed * $.rewardRate;
        if (emitted > $.rewardPool) emitted = $.rewardPool;
        uint256 perNode = (emitted * PRECISION) / count;
        // Only what is credited leaves the pool; the division remainder stays in it.
        $.rewardPool -= (perNode * count) / PRECISION;
        $.globalRewardPerNode += perNode;
    }

    /// Credits an active node's share since its checkpoint: fee to the operator, the rest per token.
    function _settleNode(RegistryStorage storage $, uint256 nodeId) private {
        Node storage n = $.nodes[nodeId];
        if (n.status != Status.Active) return;
        _updateGlobal($);
        uint256 pending = ($.globalRewardPerNode - n.globalCheckpoint) / PRECISION;
        n.globalCheckpoint = $.globalRewardPerNode;
        if (pending == 0) return;
        uint256 fee = (pending * n.feeBps) / BPS;
        $.operatorFees[n.operator] += fee;
        n.rewardPerToken += ((pending - fee) * PRECISION) / n.totalStaked;
    }

    // ---------------------------------------------------------------- admin

    function setRewardRate(uint256 rate) external onlyRole(DEFAULT_ADMIN_ROLE) {
        RegistryStorage storage $ = _s();
        _updateGlobal($);
        $.rewardRate = rate;
        emit RewardRateUpdated(rate);
    }

    /// @notice Applies to nodes registered from now on.
    function setStakingRequirement(uint256 requirement) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (requirement == 0) revert InvalidParameter();
        _s().stakingRequirement = requirement;
        emit StakingRequirementUpdated(requirement);
    }

    function setExitDelay(uint256 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _s().exitDelay = delay;
        emit ExitDelayUpdated(delay);
    }

    function setLiquidationPenalty(uint256 penaltyBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (penaltyBps > BPS) revert InvalidParameter();
        _s().liquidationPenaltyBps = penaltyBps;
        emit LiquidationPenaltyUpdated(penaltyBps);
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}

    // ---------------------------------------------------------------- views

    // One line each: plain reads of the namespaced storage (no public state variables with ERC-7201).
    // Settings: the token, and what the admin functions above set.
    function token() external view returns (IERC20) { return _s().token; }
    function stakingRequirement() external view returns (uint256) { return _s().stakingRequirement; }
    function exitDelay() external view returns (uint256) { return _s().exitDelay; }
    function liquidationPenaltyBps() external view returns (uint256) { return _s().liquidationPenaltyBps; }
    function rewardRate() external view returns (uint256) { return _s().rewardRate; }

    // Per node and per account.
    function getNode(uint256 nodeId) external view returns (Node memory) { return _node(_s(), nodeId); }
    function nodeIdByEd25519(bytes32 key) external view returns (uint256) { return _s().nodeIdByEd25519[key]; }
    function stakeOf(uint256 nodeId, address account) external view returns (uint256) { return _s().stakes[nodeId][account]; }
    function operatorFees(address account) external view returns (uint256) { return _s().operatorFees[account]; }

    // Totals.
    /// @notice Tokens still available for future rewards.
    function rewardPool() external view returns (uint256) { return _s().rewardPool; }
    function activeNodeCount() external view returns (uint256) { return _s().activeNodeCount; }
    /// @notice Sum of stakes currently held by the contract.
    function totalStaked() external view returns (uint256) { return _s().totalStaked; }
    function nextNodeId() external view returns (uint256) { return _s().nextNodeId; }

    /// @notice Contributor rewards `account` could claim from `nodeId` now (excluding operator fees).
    function pendingRewards(uint256 nodeId, address account) external view returns (uint256) {
        RegistryStorage storage $ = _s();
        Node storage n = _node($, nodeId);
        uint256 perToken = n.rewardPerToken;
        if (n.status == Status.Active) {
            uint256 global = $.globalRewardPerNode;
            uint256 elapsed = block.timestamp - $.lastRewardUpdate;
            if (elapsed > 0 && $.activeNodeCount > 0) {
                uint256 emitted = elapsed * $.rewardRate;
                if (emitted > $.rewardPool) emitted = $.rewardPool;
                global += (emitted * PRECISION) / $.activeNodeCount;
            }
            uint256 pending = (global - n.globalCheckpoint) / PRECISION;
            uint256 fee = (pending * n.feeBps) / BPS;
            perToken += ((pending - fee) * PRECISION) / n.totalStaked;
        }
        return ($.stakes[nodeId][account] * perToken) / PRECISION - $.rewardDebt[nodeId][account];
    }

    function _node(RegistryStorage storage $, uint256 nodeId) private view returns (Node storage n) {
        n = $.nodes[nodeId];
        if (n.status == Status.None) revert UnknownNode(nodeId);
    }

    function _s() private pure returns (RegistryStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
