// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Ed25519 signature verification (RFC 8032), for proofs that a caller holds a node key
/// @dev Written for clarity over gas: SHA-512 in Solidity, field arithmetic with mulmod/addmod over
///      p = 2^255 - 19, inversions and square roots through the modexp precompile (0x05), a
///      double-scalar multiplication [S]B + [h](-A) in extended twisted Edwards coordinates
///      (a = -1, complete addition). The check matches libsodium's crypto_sign_verify_detached:
///      S < L, A decodes to a point that is not of small order, and the encoding of
///      [S]B - [h]A equals R byte for byte (which also rejects non-canonical R). About 1 M gas.
library Ed25519 {
    uint256 private constant P = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed;
    uint256 private constant L = 0x1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed;
    uint256 private constant D = 0x52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3;
    uint256 private constant D2 = 0x2406d9dc56dffce7198e80f2eef3d13000e0149a8283b156ebd69b9426b2f159;
    uint256 private constant SQRT_M1 = 0x2b8324804fc1df0b2b4d00993dfbd7a72f431806ad2fe478c4ee1b274a0ea0b0;
    uint256 private constant BX = 0x216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51a;
    uint256 private constant BY = 0x6666666666666666666666666666666666666666666666666666666666666658;
    /// 2^256 mod L, to reduce the 512-bit challenge hash.
    uint256 private constant R256 = 0x0ffffffffffffffffffffffffffffffec6ef5bf4737dcf70d6ec31748d98951d;
    /// (p - 5) / 8: exponent of the square-root candidate.
    uint256 private constant SQRT_EXP = 0x0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd;

    /// SHA-512 round constants, 80 × 8 bytes big-endian.
    bytes private constant K =
        hex"428a2f98d728ae227137449123ef65cdb5c0fbcfec4d3b2fe9b5dba58189dbbc3956c25bf348b53859f111f1b605d019923f82a4af194f9bab1c5ed5da6d8118d807aa98a303024212835b0145706fbe243185be4ee4b28c550c7dc3d5ffb4e272be5d74f27b896f80deb1fe3b1696b19bdc06a725c71235c19bf174cf692694e49b69c19ef14ad2efbe4786384f25e30fc19dc68b8cd5b5240ca1cc77ac9c652de92c6f592b02754a7484aa6ea6e4835cb0a9dcbd41fbd476f988da831153b5983e5152ee66dfaba831c66d2db43210b00327c898fb213fbf597fc7beef0ee4c6e00bf33da88fc2d5a79147930aa72506ca6351e003826f142929670a0e6e7027b70a8546d22ffc2e1b21385c26c9264d2c6dfc5ac42aed53380d139d95b3df650a73548baf63de766a0abb3c77b2a881c2c92e47edaee692722c851482353ba2bfe8a14cf10364a81a664bbc423001c24b8b70d0f89791c76c51a30654be30d192e819d6ef5218d69906245565a910f40e35855771202a106aa07032bbd1b819a4c116b8d2d0c81e376c085141ab532748774cdf8eeb9934b0bcb5e19b48a8391c0cb3c5c95a634ed8aa4ae3418acb5b9cca4f7763e373682e6ff3d6b2b8a3748f82ee5defb2fc78a5636f43172f6084c87814a1f0ab728cc702081a6439ec90befffa23631e28a4506cebde82bde9bef9a3f7b2c67915c67178f2e372532bca273eceea26619cd186b8c721c0c207eada7dd6cde0eb1ef57d4f7fee6ed17806f067aa72176fba0a637dc5a2c898a6113f9804bef90dae1b710b35131c471b28db77f523047d8432caab7b40c724933c9ebe0a15c9bebc431d67c49c100d4c4cc5d4becb3e42b6597f299cfc657e2a5fcb6fab3ad6faec6c44198c4a475817";

    /// @notice True when `signature` (R ‖ S, 64 bytes) is a valid Ed25519 signature of `message`
    ///         by `publicKey` (32 bytes as encoded by RFC 8032).
    function verify(bytes32 publicKey, bytes memory message, bytes memory signature) internal view returns (bool) {
        if (signature.length != 64) return false;
        bytes32 rBytes;
        bytes32 sBytes;
        assembly {
            rBytes := mload(add(signature, 32))
            sBytes := mload(add(signature, 64))
        }
        uint256 s = _le(sBytes);
        if (s >= L) return false;
        (bool ok, uint256 ax, uint256 ay) = _decompress(_le(publicKey));
        if (!ok) return false;
        if (_smallOrder(ax, ay)) return false;

        uint256 h = _challenge(rBytes, publicKey, message);
        return _encodeSum(s, h, ax, ay) == _le(rBytes);
    }

    /// h = SHA-512(R ‖ A ‖ M) as a little-endian 512-bit integer, reduced mod L.
    function _challenge(bytes32 rBytes, bytes32 publicKey, bytes memory message) private pure returns (uint256) {
        bytes memory digest = sha512(abi.encodePacked(rBytes, publicKey, message));
        bytes32 lo;
        bytes32 hi;
        assembly {
            lo := mload(add(digest, 32))
            hi := mload(add(digest, 64))
        }
        return addmod(_le(lo) % L, mulmod(_le(hi), R256, L), L);
    }

    /// Encoding of [s]B + [h](-A), Straus: one shared doubling chain, three precomputed sums.
    function _encodeSum(uint256 s, uint256 h, uint256 ax, uint256 ay) private view returns (uint256) {
        uint256 nx = P - ax; // -A = (-x, y)
        uint256[4] memory b = [BX, BY, 1, mulmod(BX, BY, P)];
        uint256[4] memory na = [nx, ay, 1, mulmod(nx, ay, P)];
        uint256[4] memory bna = [BX, BY, 1, mulmod(BX, BY, P)];
        _add(bna, na);
        uint256[4] memory q = [uint256(0), 1, 1, 0];
        for (uint256 i = 256; i > 0; ) {
            unchecked {
                --i;
            }
            _double(q);
            uint256 sb = (s >> i) & 1;
            uint256 hb = (h >> i) & 1;
            if (sb == 1 && hb == 1) _add(q, bna);
            else if (sb == 1) _add(q, b);
            else if (hb == 1) _add(q, na);
        }
        uint256 zInv = _expmod(q[2], P - 2);
        uint256 x = mulmod(q[0], zInv, P);
        uint256 y = mulmod(q[1], zInv, P);
        return y | ((x & 1) << 255);
    }

    /// @notice SHA-512 of `data` (FIPS 180-4), 64 bytes.
    function sha512(bytes memory data) internal pure returns (bytes memory out) {
        uint256 len = data.length;
        uint256 padded = ((len + 17 + 127) / 128) * 128;
        bytes memory m = new bytes(padded);
        for (uint256 i = 0; i < len; i++) m[i] = data[i];
        m[len] = 0x80;
        uint256 bits = len * 8;
        for (uint256 i = 0; i < 16; i++) m[padded - 1 - i] = bytes1(uint8(bits >> (8 * i)));

        uint64[8] memory hs = [
            uint64(0x6a09e667f3bcc908),
            0xbb67ae8584caa73b,
            0x3c6ef372fe94f82b,
            0xa54ff53a5f1d36f1,
            0x510e527fade682d1,
            0x9b05688c2b3e6c1f,
            0x1f83d9abfb41bd6b,
            0x5be0cd19137e2179
        ];
        bytes memory k = K;
        uint64[80] memory w;
        for (uint256 off = 0; off < padded; off += 128) {
            _schedule(m, off, w);
            _compress(hs, w, k);
        }
        out = abi.encodePacked(hs[0], hs[1], hs[2], hs[3], hs[4], hs[5], hs[6], hs[7]);
    }

    function _schedule(bytes memory m, uint256 off, uint64[80] memory w) private pure {
        unchecked {
            for (uint256 t = 0; t < 16; t++) {
                uint64 v;
                assembly {
                    v := shr(192, mload(add(add(m, 32), add(off, mul(t, 8)))))
                }
                w[t] = v;
            }
            for (uint256 t = 16; t < 80; t++) {
                uint64 a = w[t - 15];
                uint64 b = w[t - 2];
                uint64 s0 = _rotr(a, 1) ^ _rotr(a, 8) ^ (a >> 7);
                uint64 s1 = _rotr(b, 19) ^ _rotr(b, 61) ^ (b >> 6);
                w[t] = w[t - 16] + s0 + w[t - 7] + s1;
            }
        }
    }

    function _compress(uint64[8] memory hs, uint64[80] memory w, bytes memory k) private pure {
        unchecked {
            uint64[8] memory v = hs;
            uint64 a = v[0];
            uint64 b = v[1];
            uint64 c = v[2];
            uint64 d = v[3];
            uint64 e = v[4];
            uint64 f = v[5];
            uint64 g = v[6];
            uint64 h = v[7];
            for (uint256 t = 0; t < 80; t++) {
                uint64 kt;
                assembly {
                    kt := shr(192, mload(add(add(k, 32), mul(t, 8))))
                }
                uint64 t1 = h + (_rotr(e, 14) ^ _rotr(e, 18) ^ _rotr(e, 41)) + ((e & f) ^ (~e & g)) + kt + w[t];
                uint64 t2 = (_rotr(a, 28) ^ _rotr(a, 34) ^ _rotr(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
                h = g;
                g = f;
                f = e;
                e = d + t1;
                d = c;
                c = b;
                b = a;
                a = t1 + t2;
            }
            hs[0] += a;
            hs[1] += b;
            hs[2] += c;
            hs[3] += d;
            hs[4] += e;
            hs[5] += f;
            hs[6] += g;
            hs[7] += h;
        }
    }

    function _rotr(uint64 x, uint256 n) private pure returns (uint64) {
        return (x >> n) | (x << uint64(64 - n));
    }

    /// RFC 8032 §5.1.3 point decoding; ok = false for an invalid encoding.
    function _decompress(uint256 enc) private view returns (bool ok, uint256 x, uint256 y) {
        y = enc & ((1 << 255) - 1);
        uint256 sign = enc >> 255;
        if (y >= P) return (false, 0, 0);
        uint256 yy = mulmod(y, y, P);
        uint256 u = addmod(yy, P - 1, P);
        uint256 v = addmod(mulmod(D, yy, P), 1, P);
        uint256 v3 = mulmod(mulmod(v, v, P), v, P);
        uint256 v7 = mulmod(mulmod(v3, v3, P), v, P);
        x = mulmod(mulmod(u, v3, P), _expmod(mulmod(u, v7, P), SQRT_EXP), P);
        uint256 vxx = mulmod(v, mulmod(x, x, P), P);
        if (vxx != u) {
            if (vxx != (P - u) % P) return (false, 0, 0);
            x = mulmod(x, SQRT_M1, P);
        }
        if (x == 0 && sign == 1) return (false, 0, 0);
        if ((x & 1) != sign) x = P - x;
        return (true, x, y);
    }

    /// True when 8·(x, y) is the identity: a point of order 1, 2, 4 or 8.
    function _smallOrder(uint256 x, uint256 y) private pure returns (bool) {
        uint256[4] memory q = [x, y, 1, mulmod(x, y, P)];
        _double(q);
        _double(q);
        _double(q);
        return q[0] == 0;
    }

    /// q ← 2q (dbl-2008-hwcd, a = -1).
    function _double(uint256[4] memory q) private pure {
        uint256 a = mulmod(q[0], q[0], P);
        uint256 b = mulmod(q[1], q[1], P);
        uint256 c = mulmod(2, mulmod(q[2], q[2], P), P);
        uint256 da = P - a;
        uint256 s = addmod(q[0], q[1], P);
        uint256 e = addmod(mulmod(s, s, P), P - addmod(a, b, P), P);
        uint256 g = addmod(da, b, P);
        uint256 f = addmod(g, P - c, P);
        uint256 h = addmod(da, P - b, P);
        q[0] = mulmod(e, f, P);
        q[1] = mulmod(g, h, P);
        q[2] = mulmod(f, g, P);
        q[3] = mulmod(e, h, P);
    }

    /// p ← p + q (add-2008-hwcd-3, a = -1, k = 2d; complete).
    function _add(uint256[4] memory p, uint256[4] memory q) private pure {
        uint256 a = mulmod(addmod(p[1], P - p[0], P), addmod(q[1], P - q[0], P), P);
        uint256 b = mulmod(addmod(p[1], p[0], P), addmod(q[1], q[0], P), P);
        uint256 c = mulmod(mulmod(p[3], D2, P), q[3], P);
        uint256 d = mulmod(mulmod(p[2], 2, P), q[2], P);
        uint256 e = addmod(b, P - a, P);
        uint256 f = addmod(d, P - c, P);
        uint256 g = addmod(d, c, P);
        uint256 h = addmod(b, a, P);
        p[0] = mulmod(e, f, P);
        p[1] = mulmod(g, h, P);
        p[2] = mulmod(f, g, P);
        p[3] = mulmod(e, h, P);
    }

    function _expmod(uint256 base, uint256 e) private view returns (uint256 r) {
        assembly {
            let ptr := mload(0x40)
            mstore(ptr, 32)
            mstore(add(ptr, 32), 32)
            mstore(add(ptr, 64), 32)
            mstore(add(ptr, 96), base)
            mstore(add(ptr, 128), e)
            mstore(add(ptr, 160), P)
            if iszero(staticcall(gas(), 0x05, ptr, 192, ptr, 32)) {
                revert(0, 0)
            }
            r := mload(ptr)
        }
    }

    /// Reads 32 bytes as a little-endian integer.
    function _le(bytes32 v) private pure returns (uint256 r) {
        uint256 x = uint256(v);
        x = ((x & 0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00) >> 8)
            | ((x & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff) << 8);
        x = ((x & 0xffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000) >> 16)
            | ((x & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff) << 16);
        x = ((x & 0xffffffff00000000ffffffff00000000ffffffff00000000ffffffff00000000) >> 32)
            | ((x & 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff) << 32);
        x = ((x & 0xffffffffffffffff0000000000000000ffffffffffffffff0000000000000000) >> 64)
            | ((x & 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff) << 64);
        r = (x >> 128) | (x << 128);
    }
}
