// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @title SessionNameService: private names for Session IDs
/// @notice A name is an ERC-721 token whose id is `uint256(nameHash)`, `nameHash =
///         BLAKE2b-256(lower-cased UTF-8 name)`: the hash real Session clients send in an
///         `ons_resolve` request. The plaintext name never appears on chain: the record is the
///         Session ID encrypted off-chain in libsession's ONS format (`encrypted_value` (49 bytes)
///         ‖ `nonce` (24 bytes), key derived from the name; packages/crypto `encryptNameRecord`),
///         so only someone who knows the name can read it, and nodes can answer `ons_resolve`
///         with it unchanged.
///         Registration is commit–reveal against front-running and paid in SESH per year, priced
///         by name length (shorter is dearer).
/// @dev Because the name is secret, its length is declared by the registrant. Clients resolving a
///      name know it, and ignore a registration whose declared length differs; anyone who knows a
///      mis-declared name can also `challengeLength` it, which burns the registration. Charset rules
///      (a–z, 0–9, '-' not at either end, 1–63 characters) are enforced by clients the same way:
///      a name outside them can never be looked up. After expiry a name has a grace period during
///      which only its owner can renew; after that anyone may register it. Transfers keep the
///      record; the new owner can replace it.
contract SessionNameService is ERC721, AccessControl, Pausable {
    using SafeERC20 for IERC20;

    bytes32 public constant PRICE_ADMIN_ROLE = keccak256("PRICE_ADMIN_ROLE");

    uint256 public constant YEAR = 365 days;
    uint256 public constant GRACE_PERIOD = 90 days;
    uint256 public constant MIN_COMMITMENT_AGE = 60;
    uint256 public constant MAX_COMMITMENT_AGE = 1 days;
    uint256 public constant MAX_NAME_LENGTH = 63;
    /// encrypted_value (33-byte Session ID + 16-byte tag) ‖ XChaCha20 nonce (24).
    uint256 public constant RECORD_SIZE = 73;
    uint256 public constant MAX_YEARS = 10;

    struct NameRecord {
        uint64 expiry;
        uint8 length;
        bytes encryptedRecord;
    }

    IERC20 public immutable token;
    address public treasury;
    /// Yearly price by length: index 0 = 1 character … index 4 = 5 or more.
    uint256[5] private _prices;
    mapping(bytes32 => uint256) public commitments;
    mapping(uint256 => NameRecord) private _names;

    event NameCommitted(bytes32 indexed commitment, address indexed by);
    event NameRegistered(bytes32 indexed nameHash, address indexed owner, uint8 length, uint64 expiry, uint256 cost);
    event NameRenewed(bytes32 indexed nameHash, uint64 expiry, uint256 cost);
    event RecordUpdated(bytes32 indexed nameHash, bytes encryptedRecord);
    event NameChallenged(bytes32 indexed nameHash, address indexed challenger, uint8 declaredLength, uint256 actualLength);
    event PricesUpdated(uint256[5] prices);
    event TreasuryUpdated(address treasury);

    error ZeroAddress();
    error InvalidLength();
    error InvalidYears();
    error InvalidRecordSize();
    error CommitmentTooNew();
    error CommitmentTooOld();
    error CommitmentUnknown();
    error NameUnavailable();
    error NameNotRegistered();
    error NameExpired();
    error PastGracePeriod();
    error NotNameOwner();
    error LengthMatches();

    constructor(IERC20 token_, address treasury_, address admin, uint256[5] memory prices_)
        ERC721("Session Name", "SNS")
    {
        if (address(token_) == address(0) || treasury_ == address(0) || admin == address(0)) revert ZeroAddress();
        token = token_;
        treasury = treasury_;
        _prices = prices_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PRICE_ADMIN_ROLE, admin);
        emit PricesUpdated(prices_);
    }

    // ---------------------------------------------------------------- registration

    /// @notice The commitment a registrant publishes first.
    function makeCommitment(
        bytes32 nameHash,
        uint8 length,
        address owner,
        bytes calldata encryptedRecord,
        bytes32 secret
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(nameHash, length, owner, keccak256(encryptedRecord), secret));
    }

    function commit(bytes32 commitment) external whenNotPaused {
        commitments[commitment] = block.timestamp;
        emit NameCommitted(commitment, msg.sender);
    }

    /// @notice Reveals a commitment made between 60 s and 1 day ago and registers the name to the
    ///         caller for `years_` years, paying `price(length, years_)` SESH to the treasury.
    function register(
        bytes32 nameHash,
        uint8 length,
        bytes calldata encryptedRecord,
        uint256 years_,
        bytes32 secret
    ) external whenNotPaused returns (uint64 expiry) {
        if (length == 0 || length > MAX_NAME_LENGTH) revert InvalidLength();
        if (years_ == 0 || years_ > MAX_YEARS) revert InvalidYears();
        if (encryptedRecord.length != RECORD_SIZE) revert InvalidRecordSize();
        bytes32 c = makeCommitment(nameHash, length, msg.sender, encryptedRecord, secret);
        uint256 committedAt = commitments[c];
        if (committedAt == 0) revert CommitmentUnknown();
        if (block.timestamp < committedAt + MIN_COMMITMENT_AGE) revert CommitmentTooNew();
        if (block.timestamp > committedAt + MAX_COMMITMENT_AGE) revert CommitmentTooOld();
        delete commitments[c];
        if (!available(nameHash)) revert NameUnavailable();

        uint256 id = uint256(nameHash);
        if (_ownerOf(id) != address(0)) _burn(id); // expired past its grace period
        expiry = uint64(block.timestamp + years_ * YEAR);
        _names[id] = NameRecord({expiry: expiry, length: length, encryptedRecord: encryptedRecord});
        _safeMint(msg.sender, id);
        uint256 cost = price(length, years_);
        token.safeTransferFrom(msg.sender, treasury, cost);
        emit NameRegistered(nameHash, msg.sender, length, expiry, cost);
        emit RecordUpdated(nameHash, encryptedRecord);
    }

    /// @notice Extends a registration by `years_`. Anyone can pay for a live name; during the grace
    ///         period only its owner can.
    function renew(bytes32 nameHash, uint256 years_) external whenNotPaused returns (uint64 expiry) {
        if (years_ == 0 || years_ > MAX_YEARS) revert InvalidYears();
        uint256 id = uint256(nameHash);
        address owner = _ownerOf(id);
        if (owner == address(0)) revert NameNotRegistered();
        NameRecord storage r = _names[id];
        if (block.timestamp > r.expiry + GRACE_PERIOD) revert PastGracePeriod();
        if (block.timestamp > r.expiry && msg.sender != owner) revert NotNameOwner();
        uint256 base = r.expiry > block.timestamp ? r.expiry : block.timestamp;
        expiry = uint64(base + years_ * YEAR);
        r.expiry = expiry;
        uint256 cost = price(r.length, years_);
        token.safeTransferFrom(msg.sender, treasury, cost);
        emit NameRenewed(nameHash, expiry, cost);
    }

    /// @notice Replaces the encrypted record of a live name the caller owns.
    function setRecord(bytes32 nameHash, bytes calldata encryptedRecord) external whenNotPaused {
        uint256 id = uint256(nameHash);
        if (_ownerOf(id) != msg.sender) revert NotNameOwner();
        if (block.timestamp > _names[id].expiry) revert NameExpired();
        if (encryptedRecord.length != RECORD_SIZE) revert InvalidRecordSize();
        _names[id].encryptedRecord = encryptedRecord;
        emit RecordUpdated(nameHash, encryptedRecord);
    }

    /// @notice Burns a registration whose declared length is false, given the name itself.
    function challengeLength(string calldata name) external {
        if (bytes(name).length == 0 || bytes(name).length > 128) revert InvalidLength();
        bytes32 nameHash = blake2b256(bytes(name));
        uint256 id = uint256(nameHash);
        if (_ownerOf(id) == address(0)) revert NameNotRegistered();
        uint8 declared = _names[id].length;
        uint256 actual = bytes(name).length;
        if (declared == actual) revert LengthMatches();
        _burn(id);
        delete _names[id];
        emit NameChallenged(nameHash, msg.sender, declared, actual);
    }

    // ---------------------------------------------------------------- views

    /// @notice BLAKE2b-256 (unkeyed) of up to 128 bytes: one compression through the BLAKE2 F
    ///         precompile (EIP-152, address 0x09; present on Arbitrum).
    function blake2b256(bytes memory data) public view returns (bytes32 digest) {
        uint256 len = data.length;
        if (len > 128) revert InvalidLength();
        // h = IV with h[0] ^= 0x01010000 | outlen (no key); words little-endian.
        bytes memory input = abi.encodePacked(
            uint32(12),
            bytes8(0x08c9bcf367e6096a) ^ bytes8(0x2000010100000000), // le(IV0 ^ 0x01010020)
            bytes8(0x3ba7ca8485ae67bb),
            bytes8(0x2bf894fe72f36e3c),
            bytes8(0xf1361d5f3af54fa5),
            bytes8(0xd182e6ad7f520e51),
            bytes8(0x1f6c3e2b8c68059b),
            bytes8(0x6bbd41fbabd9831f),
            bytes8(0x79217e1319cde05b)
        );
        bytes memory block_ = new bytes(128);
        for (uint256 i = 0; i < len; i++) block_[i] = data[i];
        bytes memory counter = new bytes(16);
        for (uint256 i = 0; i < 8; i++) counter[i] = bytes1(uint8(len >> (8 * i)));
        input = abi.encodePacked(input, block_, counter, uint8(1));
        (bool ok, bytes memory out) = address(0x09).staticcall(input);
        require(ok && out.length == 64, "blake2f failed");
        assembly {
            digest := mload(add(out, 32))
        }
    }

    /// @notice True when nobody holds the name: never registered, or expired past its grace period.
    function available(bytes32 nameHash) public view returns (bool) {
        uint256 id = uint256(nameHash);
        if (_ownerOf(id) == address(0)) return true;
        return block.timestamp > _names[id].expiry + GRACE_PERIOD;
    }

    function price(uint256 length, uint256 years_) public view returns (uint256) {
        if (length == 0) revert InvalidLength();
        uint256 idx = length >= 5 ? 4 : length - 1;
        return _prices[idx] * years_;
    }

    function prices() external view returns (uint256[5] memory) {
        return _prices;
    }

    /// @notice Owner, expiry, declared length and encrypted record of a name. The record is empty
    ///         once the name has expired.
    function resolve(bytes32 nameHash)
        external
        view
        returns (address owner, uint64 expiry, uint8 length, bytes memory encryptedRecord)
    {
        uint256 id = uint256(nameHash);
        owner = _ownerOf(id);
        if (owner == address(0)) revert NameNotRegistered();
        NameRecord storage r = _names[id];
        expiry = r.expiry;
        length = r.length;
        if (block.timestamp <= r.expiry) encryptedRecord = r.encryptedRecord;
    }

    // ---------------------------------------------------------------- admin

    function setPrices(uint256[5] calldata prices_) external onlyRole(PRICE_ADMIN_ROLE) {
        _prices = prices_;
        emit PricesUpdated(prices_);
    }

    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasuryUpdated(treasury_);
    }

    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// Expired names cannot be transferred (mint and burn pass through).
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        address from = _ownerOf(tokenId);
        if (from != address(0) && to != address(0) && block.timestamp > _names[tokenId].expiry) revert NameExpired();
        return super._update(to, tokenId, auth);
    }

    function supportsInterface(bytes4 interfaceId) public view override(ERC721, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
