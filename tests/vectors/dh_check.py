#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Writes tests/vectors/dh_ike.txt after checking every value in it.

Published values are transcribed below from RFC 5903 section 8 (ECP groups
19, 20, 21) and RFC 7748 sections 5.2 and 6.1 (X25519). Each is checked
here two independent ways before it is written out:
  - python3-cryptography (OpenSSL underneath, but a different code path from
    bulwark's EVP_PKEY_fromdata/derive): public value from the private one and
    the shared secret from each side;
  - pure Python integer arithmetic (affine short-Weierstrass for P-256/384/521,
    the RFC 7748 Montgomery ladder for X25519, pow() for MODP).
The MODP group 14 case has no published vector: its private values are fixed
arbitrary numbers below and everything else is computed with pow() over the
RFC 3526 section 3 prime, then cross-checked with cryptography's DH.

Usage: python3 dh_check.py > dh_ike.txt   (prints to stdout, asserts on error)
"""
import sys

from cryptography.hazmat.primitives.asymmetric import dh, ec, x25519

H = lambda s: bytes.fromhex("".join(s.split()))

# NIST curves: p, a = -3, b, G (SEC 2 / FIPS 186-4), for the independent check.
CURVES = {
    19: dict(
        name="P-256", size=32, ec=ec.SECP256R1(),
        p=2**256 - 2**224 + 2**192 + 2**96 - 1,
        gx=0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
        gy=0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5),
    20: dict(
        name="P-384", size=48, ec=ec.SECP384R1(),
        p=2**384 - 2**128 - 2**96 + 2**32 - 1,
        gx=0xAA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7,
        gy=0x3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F),
    21: dict(
        name="P-521", size=66, ec=ec.SECP521R1(),
        p=2**521 - 1,
        gx=0x00C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66,
        gy=0x011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650),
}

# RFC 5903 section 8: i, gix, giy, r, grx, gry, girx, giry.
RFC5903 = {
    19: ("8.1",
         "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
         "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180",
         "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
         "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
         "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63",
         "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
         "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE",
         "522BDE0AF0D8585B8DEF9C183B5AE38F50235206A8674ECB5D98EDB20EB153A2"),
    20: ("8.2",
         "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655"
         "E35B538041E649EE3FAEF896783AB194",
         "667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6"
         "DE3AC808ACB4BDB4C88732AEE95F41AA",
         "9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38E"
         "EB9FCFF3C2C947DAE69B4C634573A81C",
         "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942"
         "E0308312916B8ED2960E4BD55A7448FC",
         "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D"
         "0D1AC43A0336DEF96FDA41D0774A3571",
         "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FF"
         "F83FA40142209DFF5EAAD96DB9E6386C",
         "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4"
         "D603135569B9E9D09CF5D4A270F59746",
         "A2A9F38EF5CAFBE2347CF7EC24BDD5E624BC93BFA82771F40D1B65D06256A852"
         "C983135D4669F8792F2C1D55718AFBB4"),
    21: ("8.3",
         "0037ADE9319A89F4DABDB3EF411AACCCA5123C61ACAB57B5393DCE47608172A0"
         "95AA85A30FE1C2952C6771D937BA9777F5957B2639BAB072462F68C27A57382D4A52",
         "0015417E84DBF28C0AD3C278713349DC7DF153C897A1891BD98BAB4357C9ECBE"
         "E1E3BF42E00B8E380AEAE57C2D107564941885942AF5A7F4601723C4195D176CED3E",
         "017CAE20B6641D2EEB695786D8C946146239D099E18E1D5A514C739D7CB4A10A"
         "D8A788015AC405D7799DC75E7B7D5B6CF2261A6A7F1507438BF01BEB6CA3926F9582",
         "0145BA99A847AF43793FDD0E872E7CDFA16BE30FDC780F97BCCC3F078380201E"
         "9C677D600B343757A3BDBF2A3163E4C2F869CCA7458AA4A4EFFC311F5CB151685EB9",
         "00D0B3975AC4B799F5BEA16D5E13E9AF971D5E9B984C9F39728B5E5739735A21"
         "9B97C356436ADC6E95BB0352F6BE64A6C2912D4EF2D0433CED2B6171640012D9460F",
         "015C68226383956E3BD066E797B623C27CE0EAC2F551A10C2C724D9852077B87"
         "220B6536C5C408A1D2AEBB8E86D678AE49CB57091F4732296579AB44FCD17F0FC56A",
         "01144C7D79AE6956BC8EDB8E7C787C4521CB086FA64407F97894E5E6B2D79B04"
         "D1427E73CA4BAA240A34786859810C06B3C715A3A8CC3151F2BEE417996D19F3DDEA",
         None),  # giry is not transcribed: IKE uses x only; computed and printed as a comment
}

# RFC 3526 section 3, 2048-bit MODP group, generator 2.
MODP2048_P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF", 16)


def ec_add(c, P, Q):
    p = c["p"]
    if P is None:
        return Q
    if Q is None:
        return P
    if P[0] == Q[0] and (P[1] + Q[1]) % p == 0:
        return None
    if P == Q:
        lam = (3 * P[0] * P[0] - 3) * pow(2 * P[1], -1, p) % p
    else:
        lam = (Q[1] - P[1]) * pow(Q[0] - P[0], -1, p) % p
    x = (lam * lam - P[0] - Q[0]) % p
    return (x, (lam * (P[0] - x) - P[1]) % p)


def ec_mul(c, k, P):
    R = None
    while k:
        if k & 1:
            R = ec_add(c, R, P)
        P = ec_add(c, P, P)
        k >>= 1
    return R


def x25519_ladder(k, u):
    """RFC 7748 section 5, straight from the pseudo-code."""
    p = 2**255 - 19
    k = bytearray(k)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    k = int.from_bytes(k, "little")
    u = int.from_bytes(u, "little") & ((1 << 255) - 1)
    x1, x2, z2, x3, z3, swap = u, 1, 0, u, 1, 0
    for t in reversed(range(255)):
        kt = (k >> t) & 1
        swap ^= kt
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = kt
        A = (x2 + z2) % p; AA = A * A % p; B = (x2 - z2) % p; BB = B * B % p
        E = (AA - BB) % p; C = (x3 + z3) % p; D = (x3 - z3) % p
        DA = D * A % p; CB = C * B % p
        x3 = (DA + CB) ** 2 % p; z3 = x1 * (DA - CB) ** 2 % p
        x2 = AA * BB % p; z2 = E * (AA + 121665 * E) % p
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, p - 2, p) % p).to_bytes(32, "little")


def out(name, val):
    print(f"{name} = {val.hex()}")


def ecp_cases():
    for group, (sec, i, gix, giy, r, grx, gry, girx, giry) in RFC5903.items():
        c = CURVES[group]
        n = c["size"]
        i, r = int(i, 16), int(r, 16)
        gi = (int(gix, 16), int(giy, 16))
        gr = (int(grx, 16), int(gry, 16))
        G = (c["gx"], c["gy"])
        assert ec_mul(c, i, G) == gi and ec_mul(c, r, G) == gr, c["name"]
        gir = ec_mul(c, i, gr)
        assert gir == ec_mul(c, r, gi) and gir[0] == int(girx, 16), c["name"]
        if giry is not None:
            assert gir[1] == int(giry, 16), c["name"]
        ki = ec.derive_private_key(i, c["ec"])
        kr = ec.derive_private_key(r, c["ec"])
        assert ki.public_key().public_numbers().x == gi[0]
        assert ki.public_key().public_numbers().y == gi[1]
        z = ki.exchange(ec.ECDH(), kr.public_key())
        assert z == kr.exchange(ec.ECDH(), ki.public_key()) == gir[0].to_bytes(n, "big")
        be = lambda v: v.to_bytes(n, "big")
        print(f"# RFC 5903 section {sec}, {n * 8 if n != 66 else 521}-bit Random ECP Group.")
        if giry is None:
            print(f"# (giry computed here: {be(gir[1]).hex()})")
        print(f"case = RFC 5903 {sec} group {group} ({c['name']})")
        print(f"group = {group}")
        out("i", be(i))
        out("gi", be(gi[0]) + be(gi[1]))
        out("r", be(r))
        out("gr", be(gr[0]) + be(gr[1]))
        out("gir", be(gir[0]))
        print()


# RFC 7748 section 6.1 (a, K_A, b, K_B, K) and section 5.2 (scalar, u, result).
X25519_61 = (
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
X25519_52 = (
    ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
     "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
     "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
    ("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
     "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
     "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
)


def x25519_cases():
    a, ka, b, kb, k = (H(v) for v in X25519_61)
    nine = (9).to_bytes(32, "little")
    assert x25519_ladder(a, nine) == ka and x25519_ladder(b, nine) == kb
    assert x25519_ladder(a, kb) == k == x25519_ladder(b, ka)
    pa = x25519.X25519PrivateKey.from_private_bytes(a)
    pb = x25519.X25519PrivateKey.from_private_bytes(b)
    assert pa.public_key().public_bytes_raw() == ka
    assert pa.exchange(pb.public_key()) == k
    print("# RFC 7748 section 6.1 (Alice a, K_A; Bob b, K_B; shared K).")
    print("case = RFC 7748 6.1 X25519")
    print("group = 31")
    out("i", a)
    out("gi", ka)
    out("r", b)
    out("gr", kb)
    out("gir", k)
    print()
    # Section 5.2: only one side known (scalar, input u, output). gi is derived.
    for n, (s, u, res) in enumerate(X25519_52, 1):
        s, u, res = H(s), H(u), H(res)
        assert x25519_ladder(s, u) == res
        ks = x25519.X25519PrivateKey.from_private_bytes(s)
        assert ks.exchange(x25519.X25519PublicKey.from_public_bytes(u)) == res
        print(f"# RFC 7748 section 5.2, test vector {n}: scalar, input u, output u "
              "(gi computed as scalar * 9).")
        print(f"case = RFC 7748 5.2 X25519 #{n}")
        print("group = 31")
        out("i", s)
        out("gi", x25519_ladder(s, nine))
        out("gr", u)
        out("gir", res)
        print()


def modp_case():
    p = MODP2048_P
    # Arbitrary fixed private values (256-bit, as strongSwan and iked use for group 14).
    i = int("6a1d2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f1", 16)
    r = int("1f2e3d4c5b6a79880796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f7", 16)
    gi, gr = pow(2, i, p), pow(2, r, p)
    gir = pow(gr, i, p)
    assert gir == pow(gi, r, p)
    params = dh.DHParameterNumbers(p, 2)
    ki = dh.DHPrivateNumbers(i, dh.DHPublicNumbers(gi, params)).private_key()
    kr = dh.DHPrivateNumbers(r, dh.DHPublicNumbers(gr, params)).private_key()
    z = ki.exchange(kr.public_key())
    # cryptography strips leading zeros; IKE pads to the prime length (RFC 7296 2.14).
    assert z.rjust(256, b"\0") == gir.to_bytes(256, "big")
    print("# MODP group 14 (RFC 3526 section 3): fixed arbitrary private values, everything")
    print("# else computed with pow() and cross-checked with python3-cryptography DH.")
    print("case = MODP 2048 computed")
    print("group = 14")
    out("i", i.to_bytes(32, "big"))
    out("gi", gi.to_bytes(256, "big"))
    out("r", r.to_bytes(32, "big"))
    out("gr", gr.to_bytes(256, "big"))
    out("gir", gir.to_bytes(256, "big"))
    print()


def main():
    print("# Diffie-Hellman known answers for the IKEv2 KE payload (src/crypto/crypto_dh.c).")
    print("# GENERATED by tests/vectors/dh_check.py, which transcribes the published values")
    print("# and checks each with python3-cryptography and with pure integer arithmetic.")
    print("# Fields: group = IANA number; i, r = private values; gi, gr = public values in")
    print("# KE payload format (ECP: x | y, RFC 5903 section 7); gir = g^ir (ECP: x only;")
    print("# MODP: padded to 256 octets). r may be absent (only one side published).")
    print("# Format: \"name = value\" lines, \"#\" comments, a blank line ends a case.")
    print()
    ecp_cases()
    x25519_cases()
    modp_case()


if __name__ == "__main__":
    main()
    print("ok", file=sys.stderr)
