# Generates tests/vectors/esp_packets.txt with python3-cryptography, independently of bulwark:
#   /usr/bin/python3 tests/vectors/esp_packets.py > tests/vectors/esp_packets.txt
import hmac, hashlib
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

def trailer(payload, block, nh):
    pad = (block - (len(payload) + 2) % block) % block
    return payload + bytes(range(1, pad + 1)) + bytes([pad, nh])

def ipv4(n):
    # a fixed IPv4 header followed by n bytes of counting data
    body = bytes((i * 7 + 3) & 0xff for i in range(n))
    tot = 20 + n
    return bytes([0x45, 0, tot >> 8, tot & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0,
                  10, 1, 0, 1, 10, 2, 0, 2]) + body

out = []
def rec(**kw):
    out.append(kw)

def aead(name, cls, key, salt, spi, seq, esn, payload, nh):
    iv = seq.to_bytes(8, 'big')
    nonce = salt + iv
    if esn:
        aad = spi.to_bytes(4, 'big') + (seq >> 32).to_bytes(4, 'big') + (seq & 0xffffffff).to_bytes(4, 'big')
    else:
        aad = spi.to_bytes(4, 'big') + (seq & 0xffffffff).to_bytes(4, 'big')
    ct = cls(key).encrypt(nonce, trailer(payload, 4, nh), aad)
    pkt = spi.to_bytes(4, 'big') + (seq & 0xffffffff).to_bytes(4, 'big') + iv + ct
    rec(name=name, encr={AESGCM: 'aes-gcm-16', ChaCha20Poly1305: 'chacha20-poly1305'}[cls],
        key=(key + salt).hex(), integ='none', integ_key='', spi='%08x' % spi, seq='%016x' % seq,
        esn=int(esn), nh=nh, payload=payload.hex(), packet=pkt.hex())

def cbc(name, key, integ, ikey, spi, seq, esn, iv, payload, nh):
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ct = enc.update(trailer(payload, 16, nh)) + enc.finalize()
    hdr = spi.to_bytes(4, 'big') + (seq & 0xffffffff).to_bytes(4, 'big') + iv + ct
    md, n = {'hmac-sha256-128': (hashlib.sha256, 16), 'hmac-sha384-192': (hashlib.sha384, 24),
             'hmac-sha512-256': (hashlib.sha512, 32)}[integ]
    mac_in = hdr + ((seq >> 32).to_bytes(4, 'big') if esn else b'')
    icv = hmac.new(ikey, mac_in, md).digest()[:n]
    rec(name=name, encr='aes-cbc', key=key.hex(), integ=integ, integ_key=ikey.hex(),
        spi='%08x' % spi, seq='%016x' % seq, esn=int(esn), nh=nh, payload=payload.hex(),
        packet=(hdr + icv).hex())

k16 = bytes(range(0x00, 0x10)); k32 = bytes(range(0x20, 0x40)); salt = bytes.fromhex('cafebabe')
aead('gcm128', AESGCM, k16, salt, 0x00001001, 1, False, ipv4(37), 4)
aead('gcm256-esn', AESGCM, k32, salt, 0x00001002, 0x100000002, True, ipv4(100), 4)
aead('chacha-esn', ChaCha20Poly1305, k32, salt, 0x00001003, 0x1ffffffff, True, ipv4(3), 4)
aead('gcm128-transport', AESGCM, k16, salt, 0x00001004, 7, False, bytes(range(50)), 17)
cbc('cbc128-sha256', k16, 'hmac-sha256-128', bytes(range(0x40, 0x60)), 0x2001, 5, False,
    bytes(range(0x80, 0x90)), ipv4(29), 4)
cbc('cbc256-sha384-esn', k32, 'hmac-sha384-192', bytes(range(0x40, 0x70)), 0x2002, 0x300000001, True,
    bytes(range(0x90, 0xa0)), ipv4(64), 4)
cbc('cbc256-sha512-esn', k32, 'hmac-sha512-256', bytes(range(0x40, 0x80)), 0x2003, 0x100000000, True,
    bytes(range(0xa0, 0xb0)), ipv4(1), 4)

print('# ESP known-answer packets, produced with python3-cryptography 38 (AESGCM, ChaCha20Poly1305,')
print('# AES-CBC) and hashlib HMAC, independently of bulwark: nonce = salt | 64-bit seq as IV,')
print('# AAD = SPI | seq (or SPI | seq-hi | seq-lo with ESN), pad 1, 2, 3, ..., CBC ICV over')
print('# SPI | seq | IV | ciphertext (| seq-hi with ESN). AEAD key = cipher key | 4-byte salt.')
print('# Regenerate: /usr/bin/python3 tests/vectors/esp_packets.py > tests/vectors/esp_packets.txt')
print('# One record per blank-line-separated block; fields are "name value".')
for r in out:
    print()
    for k in ['name', 'encr', 'key', 'integ', 'integ_key', 'spi', 'seq', 'esn', 'nh', 'payload', 'packet']:
        v = r[k]
        print(('%s %s' % (k, v)).rstrip())
