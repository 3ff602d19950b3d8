# Generates tests/vectors/ikev2_msgs.txt with scapy 2.5 (scapy.contrib.ikev2), independently of
# bulwark:  /usr/bin/python3 tests/vectors/ikev2_msgs.py > tests/vectors/ikev2_msgs.txt
# scapy does not chain next_payload by itself (see /work/shared/INTEROP.md), so every payload's
# next_payload is set by hand. Content mirrors what strongSwan sends: an IKE_SA_INIT with two
# proposals, NAT-D, fragmentation and RFC 7427 hash notifies; a response with CERTREQ; the
# COOKIE and INVALID_KE answers; IKE_AUTH and INFORMATIONAL as SK (opaque ciphertext) and SKF;
# (scapy's ID payload cannot compute its own length, so it is given by hand)
# and the decrypted inner chains of IKE_AUTH (PSK and RFC 7427 signature), CREATE_CHILD_SA and
# INFORMATIONAL (Delete). Each line: kind name first-type hex key=value... where kind is msg
# (a whole message) or chain (an inner payload chain starting with first-type), and the keys
# are what the parse must find, counted by this script from the objects it built.
import ipaddress
from scapy.contrib.ikev2 import *

SPI_I = bytes.fromhex('8f3a2b1c0d0e0f10')
SPI_R = bytes.fromhex('1122334455667788')
NONE, SA, KE, IDI, IDR, CERT, CERTREQ, AUTH, NONCE, N, D, V, TSI, TSR, SK, CP, EAP = \
    0, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48
SKF = 53


def xf(t, i, kl=None, last=False):
    p = IKEv2_payload_Transform(next_payload=0 if last else 3, transform_type=t, transform_id=i)
    if kl is not None:
        # scapy emits the Key Length attribute only if the length says it is there
        p.length = 12
        p.key_length = kl
    return p


def chain_xf(lst):
    out = None
    for k, (t, i, kl) in enumerate(lst):
        p = xf(t, i, kl, k == len(lst) - 1)
        out = p if out is None else out / p
    return out


def proposal(num, proto, spi, xfs, last):
    # scapy 2.5 leaves the SPI out of the proposal length (RFC 7296 3.3.1 counts it): given
    # by hand. bulwark's parser caught this in the first vectors ("data after the last
    # proposal").
    trans = chain_xf(xfs)
    return IKEv2_payload_Proposal(next_payload=0 if last else 2, proposal=num, proto=proto,
                                  SPI=spi, trans_nb=len(xfs), trans=trans,
                                  length=8 + len(spi) + len(bytes(trans)))


def sa_payload(nxt, props):
    out = None
    for k, (num, proto, spi, xfs) in enumerate(props):
        p = proposal(num, proto, spi, xfs, k == len(props) - 1)
        out = p if out is None else out / p
    return IKEv2_payload_SA(next_payload=nxt, prop=out)


def ikehdr(nxt, exch, flags, mid, spi_r=b'\0' * 8):
    return IKEv2(init_SPI=SPI_I, resp_SPI=spi_r, next_payload=nxt, exch_type=exch, flags=flags,
                 id=mid)


def cp_payload(nxt, cfg_type, attrs):
    # scapy 2.5's IKEv2_payload_CP cannot build (its attribute length_of fails, and an
    # address value is written as ASCII text), so the body is packed by hand into scapy's
    # generic payload: CFG Type | RESERVED(3) | (Type(2) Length(2) Value)...
    body = bytes([cfg_type, 0, 0, 0])
    for t, v in attrs:
        body += t.to_bytes(2, 'big') + len(v).to_bytes(2, 'big') + v
    return IKEv2_payload(next_payload=nxt, load=body)


def v6ts(**kw):
    # scapy 2.5 gives IPv6TrafficSelector a default length of 20; RFC 7296 3.13.1 says 40.
    return IPv6TrafficSelector(length=40, **kw)


def pat(n, seed):
    return bytes((i * 13 + seed) & 0xff for i in range(n))


lines = []


def emit(kind, name, first, pkt, **exp):
    raw = bytes(pkt)
    if kind == 'msg':
        assert int.from_bytes(raw[24:28], 'big') == len(raw)
    lines.append('%s %s %d %s %s' % (kind, name, first, raw.hex(),
                                       ' '.join('%s=%d' % kv for kv in exp.items())))


# IKE_SA_INIT request: AES-GCM-16 (256, 128) / PRF-SHA2-256,384 / ECP256, X25519 and
# AES-CBC-256 + HMAC-SHA2-256-128 / PRF-SHA2-256 / MODP2048.
p1 = [(1, 20, 256), (1, 20, 128), (2, 5, None), (2, 6, None), (4, 19, None), (4, 31, None)]
p2 = [(1, 12, 256), (3, 12, None), (2, 5, None), (4, 14, None)]
req = ikehdr(SA, 'IKE_SA_INIT', 'Initiator', 0) / \
    sa_payload(KE, [(1, 1, b'', p1), (2, 1, b'', p2)]) / \
    IKEv2_payload_KE(next_payload=NONCE, group=19, load=pat(64, 1)) / \
    IKEv2_payload_Nonce(next_payload=N, load=pat(32, 2)) / \
    IKEv2_payload_Notify(next_payload=N, type=16388, load=pat(20, 3)) / \
    IKEv2_payload_Notify(next_payload=N, type=16389, load=pat(20, 4)) / \
    IKEv2_payload_Notify(next_payload=N, type=16430) / \
    IKEv2_payload_Notify(next_payload=V, type=16431, load=bytes.fromhex('0002000300040005')) / \
    IKEv2_payload_VendorID(next_payload=NONE, vendorID=bytes.fromhex('882fe56d6fd20dbc2251613b2ebe5beb'))
emit('msg', 'sa_init_req', 0, req, exch=34, flags=8, nprop=2, nxf=10, ke=19, ke_len=64,
     nonce=32, nnotify=4, nvendor=1)

# IKE_SA_INIT response: the chosen proposal (number 1), CERTREQ with two SHA-1 CA hashes.
resp = ikehdr(SA, 'IKE_SA_INIT', 'Response', 0, SPI_R) / \
    sa_payload(KE, [(1, 1, b'', [(1, 20, 256), (2, 5, None), (4, 19, None)])]) / \
    IKEv2_payload_KE(next_payload=NONCE, group=19, load=pat(64, 5)) / \
    IKEv2_payload_Nonce(next_payload=N, load=pat(32, 6)) / \
    IKEv2_payload_Notify(next_payload=N, type=16388, load=pat(20, 7)) / \
    IKEv2_payload_Notify(next_payload=CERTREQ, type=16389, load=pat(20, 8)) / \
    IKEv2_payload_CERTREQ(next_payload=N, cert_type=4, cert_data=pat(40, 9)) / \
    IKEv2_payload_Notify(next_payload=NONE, type=16430)
emit('msg', 'sa_init_resp', 0, resp, exch=34, flags=32, nprop=1, nxf=3, ke=19, ke_len=64,
     nonce=32, nnotify=3, ncertreq=1)

cookie = ikehdr(N, 'IKE_SA_INIT', 'Response', 0) / \
    IKEv2_payload_Notify(next_payload=NONE, type=16390, load=pat(32, 10))
emit('msg', 'sa_init_cookie', 0, cookie, exch=34, flags=32, nnotify=1)

invke = ikehdr(N, 'IKE_SA_INIT', 'Response', 0) / \
    IKEv2_payload_Notify(next_payload=NONE, type=17, load=bytes.fromhex('001f'))
emit('msg', 'sa_init_invalid_ke', 0, invke, exch=34, flags=32, nnotify=1)

# The retry after a COOKIE: COOKIE first, the same Ni (RFC 7296 2.6).
retry = ikehdr(N, 'IKE_SA_INIT', 'Initiator', 0) / \
    IKEv2_payload_Notify(next_payload=SA, type=16390, load=pat(32, 10)) / \
    sa_payload(KE, [(1, 1, b'', p1)]) / \
    IKEv2_payload_KE(next_payload=NONCE, group=31, load=pat(32, 11)) / \
    IKEv2_payload_Nonce(next_payload=NONE, load=pat(32, 2))
emit('msg', 'sa_init_retry', 0, retry, exch=34, flags=8, nprop=1, nxf=6, ke=31, ke_len=32,
     nonce=32, nnotify=1)

# IKE_AUTH request as SK: IV(16) | ciphertext | ICV(16), opaque here.
auth = ikehdr(SK, 'IKE_AUTH', 'Initiator', 1, SPI_R) / \
    IKEv2_payload_Encrypted(next_payload=IDI, load=pat(16 + 240 + 16, 12))
emit('msg', 'auth_req_sk', 0, auth, exch=35, flags=8, sk_first=35, sk_len=272)

frag = ikehdr(SKF, 'IKE_AUTH', 'Initiator', 1, SPI_R) / \
    IKEv2_payload_Encrypted_Fragment(next_payload=IDI, frag_number=1, frag_total=3,
                                     load=pat(16 + 512 + 16, 13))
emit('msg', 'auth_req_skf1', 0, frag, exch=35, flags=8, sk_first=35, sk_len=544, frag=1,
     frag_total=3)
frag3 = ikehdr(SKF, 'IKE_AUTH', 'Initiator', 1, SPI_R) / \
    IKEv2_payload_Encrypted_Fragment(next_payload=NONE, frag_number=3, frag_total=3,
                                     load=pat(16 + 96 + 16, 14))
emit('msg', 'auth_req_skf3', 0, frag3, exch=35, flags=8, sk_first=0, sk_len=128, frag=3,
     frag_total=3)

# An empty INFORMATIONAL (liveness check): SK with no inner payload.
dpd = ikehdr(SK, 'INFORMATIONAL', 'Response', 7, SPI_R) / \
    IKEv2_payload_Encrypted(next_payload=NONE, load=pat(8 + 16, 15))
emit('msg', 'info_dpd', 0, dpd, exch=37, flags=32, sk_first=0, sk_len=24)

# Inner chain of IKE_AUTH with PSK: IDi(FQDN) N(INITIAL_CONTACT) IDr AUTH SA(ESP) TSi TSr CP N.
tsi = IKEv2_payload_TSi(next_payload=TSR, number_of_TSs=2, traffic_selector=[
    IPv4TrafficSelector(IP_protocol_ID=0, start_port=0, end_port=65535,
                        starting_address_v4='10.1.0.0', ending_address_v4='10.1.0.255'),
    v6ts(IP_protocol_ID=17, start_port=500, end_port=500,
                        starting_address_v6='2001:db8::', ending_address_v6='2001:db8::ffff')])
tsr = IKEv2_payload_TSr(next_payload=CP, number_of_TSs=1, traffic_selector=[
    IPv4TrafficSelector(IP_protocol_ID=0, start_port=0, end_port=65535,
                        starting_address_v4='0.0.0.0', ending_address_v4='255.255.255.255')])
cpreq = cp_payload(N, 1, [(1, b''), (3, b''), (8, b''), (10, b'')])
inner = IKEv2_payload_IDi(next_payload=N, IDtype=2, ID=b'moon.example.org', length=8 + 16) / \
    IKEv2_payload_Notify(next_payload=IDR, type=16384) / \
    IKEv2_payload_IDr(next_payload=AUTH, IDtype=3, ID=b'sun@example.org', length=8 + 15) / \
    IKEv2_payload_AUTH(next_payload=SA, auth_type=2, load=pat(32, 16)) / \
    sa_payload(TSI, [(1, 3, bytes.fromhex('c1a2b3c4'), [(1, 20, 256), (5, 0, None)])]) / \
    tsi / tsr / cpreq / \
    IKEv2_payload_Notify(next_payload=NONE, type=16394)
emit('chain', 'auth_inner_psk', IDI, inner, nprop=1, nxf=2, id_i=2, id_r=3, auth=2, nts_i=2,
     nts_r=1, ncp=4, nnotify=2)

# IKE_AUTH response with CERT and an RFC 7427 signature (sha256WithRSAEncryption algid).
algid = bytes.fromhex('300d06092a864886f70d01010b0500')
sigauth = bytes([len(algid)]) + algid + pat(256, 17)
cpreply = cp_payload(SA, 2, [(1, ipaddress.ip_address('10.3.0.1').packed),
                             (3, ipaddress.ip_address('10.3.0.53').packed)])
inner2 = IKEv2_payload_IDr(next_payload=CERTREQ, IDtype=1, ID='192.0.2.2', length=8 + 4) / \
    IKEv2_payload_CERTREQ(next_payload=AUTH, cert_type=4, cert_data=pat(300, 18)) / \
    IKEv2_payload_AUTH(next_payload=CP, auth_type=14, load=sigauth) / \
    cpreply / \
    sa_payload(TSI, [(1, 3, bytes.fromhex('0badcafe'), [(1, 20, 256), (5, 0, None)])]) / \
    IKEv2_payload_TSi(next_payload=TSR, number_of_TSs=1, traffic_selector=[
        IPv4TrafficSelector(IP_protocol_ID=0, start_port=0, end_port=65535,
                            starting_address_v4='10.3.0.1', ending_address_v4='10.3.0.1')]) / \
    IKEv2_payload_TSr(next_payload=NONE, number_of_TSs=1, traffic_selector=[
        IPv4TrafficSelector(IP_protocol_ID=0, start_port=0, end_port=65535,
                            starting_address_v4='10.2.0.0', ending_address_v4='10.2.255.255')])
emit('chain', 'auth_inner_sig', IDR, inner2, nprop=1, nxf=2, id_r=1, ncertreq=1, auth=14,
     auth_sig=256, nts_i=1, nts_r=1, ncp=2)

# CREATE_CHILD_SA rekey: N(REKEY_SA, ESP SPI) SA Ni KE TSi TSr.
# scapy 2.5 leaves the SPI out of the Notify length too: given by hand.
inner3 = IKEv2_payload_Notify(next_payload=SA, proto=3, SPI=bytes.fromhex('c1a2b3c4'), type=16393,
                              length=12) / \
    sa_payload(NONCE, [(1, 3, bytes.fromhex('c5c6c7c8'), [(1, 28, None), (4, 31, None), (5, 1, None)])]) / \
    IKEv2_payload_Nonce(next_payload=KE, load=pat(32, 19)) / \
    IKEv2_payload_KE(next_payload=TSI, group=31, load=pat(32, 20)) / tsi.copy() / \
    IKEv2_payload_TSr(next_payload=NONE, number_of_TSs=1, traffic_selector=[
        IPv4TrafficSelector(IP_protocol_ID=6, start_port=80, end_port=443,
                            starting_address_v4='10.2.0.0', ending_address_v4='10.2.0.255')])
emit('chain', 'child_rekey_inner', N, inner3, nprop=1, nxf=3, nonce=32, ke=31, ke_len=32,
     nts_i=2, nts_r=1, nnotify=1)

# INFORMATIONAL: Delete two ESP SPIs and Delete the IKE SA (scapy's Delete body is raw).
inner4 = IKEv2_payload_Delete(next_payload=D, vendorID=bytes.fromhex('03040002c1a2b3c40badcafe')) / \
    IKEv2_payload_Delete(next_payload=NONE, vendorID=bytes.fromhex('01000000'))
emit('chain', 'info_delete_inner', D, inner4, ndelete=2)

print('# IKEv2 messages and decrypted inner payload chains built with scapy 2.5')
print('# (scapy.contrib.ikev2), independently of bulwark. Regenerate with')
print('#   /usr/bin/python3 tests/vectors/ikev2_msgs.py > tests/vectors/ikev2_msgs.txt')
print('# Format: kind name first-type hex key=value...; kind msg = whole message,')
print('# chain = inner chain starting with first-type; keys are counts the parse must find.')
for l in lines:
    print(l)
