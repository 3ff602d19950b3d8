/* SPDX-License-Identifier: ISC */
/*
 * What the IKE module is configured with: connections, children,
 * proposals, identities, secrets and pools. The daemon's YAML loader
 * (src/gw/gw_conf_ike.c) fills these; the IKE state machines read them.
 */
#ifndef BW_IKE_CONF_H
#define BW_IKE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipsec/esp.h"
#include "lib/addr.h"

/*
 * IKE (RFC 7296) connections, in the spirit of swanctl.conf. Algorithms are
 * kept as IANA transform IDs (RFC 7296 3.3.2, IKEv2 registry); one proposal
 * may list several of each transform type, as swanctl's
 * "aes256gcm16-aes128gcm16-prfsha256-x25519-ecp256" does.
 */
enum {
	IKE_NAME_MAX = 64,
	IKE_MAX_TS = 16,       /* traffic selectors per child */
	IKE_PROP_MAX = 8,      /* proposals per connection or child */
	IKE_PROP_MAX_ALGS = 8, /* transforms of one type in a proposal */
	IKE_MAX_CONN = 256,
	IKE_MAX_CHILD = 8,
	IKE_MAX_ADDRS = 8,
	IKE_ID_MAX = 255,
	IKE_PSK_MAX = 256,
	IKE_MAX_POOLS = 4,
	IKE_MAX_DNS = 4,
};

struct ike_proposal {
	uint16_t encr[IKE_PROP_MAX_ALGS];      /* AES_CBC 12, AES_GCM_16 20, CHACHA20_POLY1305 28 */
	uint16_t encr_bits[IKE_PROP_MAX_ALGS]; /* key length attribute; 0 for ChaCha20-Poly1305 */
	size_t n_encr;
	uint16_t prf[IKE_PROP_MAX_ALGS]; /* PRF_HMAC_SHA2_256 5, _384 6, _512 7 (IKE only) */
	size_t n_prf;
	uint16_t integ[IKE_PROP_MAX_ALGS]; /* AUTH_HMAC_SHA2_256_128 12, _384_192 13, _512_256 14 */
	size_t n_integ;                    /* 0 with AEADs */
	uint16_t dh[IKE_PROP_MAX_ALGS];    /* 14, 19, 20, 21, 31; ESP: PFS groups, may be empty */
	size_t n_dh;
	uint8_t esn[2]; /* ESP only: ESN transform values 0 (no) / 1 (yes) */
	size_t n_esn;
};

enum ike_auth {
	IKE_AUTH_PSK,
	IKE_AUTH_PUBKEY, /* certificates, RFC 7427 signatures */
};

/* An identity (RFC 7296 3.5) in wire form; type 0 with any = match every peer. */
struct ike_id {
	uint8_t type; /* ID_IPV4_ADDR 1, ID_FQDN 2, ID_RFC822_ADDR 3, ID_IPV6_ADDR 5, ID_DER_ASN1_DN
	                 9, ID_KEY_ID 11 */
	uint8_t data[IKE_ID_MAX];
	size_t len;
	bool any;
};

struct ike_end {
	struct ike_id id;
	enum ike_auth auth;
	char cert[256];   /* PEM certificate file (local: our own) */
	char key[256];    /* PEM private key file (local only) */
	char cacert[256]; /* PEM trust anchor(s) for the peer (remote only) */
	bool rsa_pss;     /* local RSA key: sign with RSASSA-PSS, not PKCS#1 v1.5 */
};

enum ike_start_action {
	IKE_START_NONE,  /* wait for the peer */
	IKE_START_START, /* initiate when the daemon starts */
};

struct ike_child_conf {
	char name[IKE_NAME_MAX];
	enum esp_mode mode;
	struct ike_proposal prop[IKE_PROP_MAX];
	size_t n_prop;
	struct bw_addr local_ts[IKE_MAX_TS]; /* empty = our (virtual) address */
	uint8_t local_plen[IKE_MAX_TS];
	size_t n_local_ts;
	struct bw_addr remote_ts[IKE_MAX_TS]; /* empty = the peer's (virtual) address */
	uint8_t remote_plen[IKE_MAX_TS];
	size_t n_remote_ts;
	uint32_t rekey_time; /* seconds; 0 = never */
	uint32_t life_time;  /* hard lifetime, seconds; default rekey_time * 1.1 */
	uint32_t replay_window;
	enum ike_start_action start_action;
};

struct ike_conn_conf {
	char name[IKE_NAME_MAX];
	struct bw_addr local_addrs[IKE_MAX_ADDRS]; /* empty = any local address */
	size_t n_local_addrs;
	struct bw_addr remote_addrs[IKE_MAX_ADDRS]; /* empty = any peer (responder only) */
	size_t n_remote_addrs;
	struct ike_proposal prop[IKE_PROP_MAX];
	size_t n_prop;
	bool encap; /* force UDP encapsulation (pretend a NAT, as charon's encap=yes) */
	struct ike_end local;
	struct ike_end remote;
	uint8_t psk[IKE_PSK_MAX]; /* wiped on free; never logged */
	size_t psk_len;
	uint32_t rekey_time;  /* IKE_SA rekey, seconds; 0 = never */
	uint32_t reauth_time; /* seconds; 0 = never */
	uint32_t dpd_delay;   /* seconds of silence before a liveness check; 0 = off */
	uint32_t keyingtries; /* initiation attempts; 0 = forever */
	/* Remote access: virtual IPs handed out with CP (RFC 7296 3.15) */
	struct bw_addr pools[IKE_MAX_POOLS];
	uint8_t pool_plen[IKE_MAX_POOLS];
	size_t n_pools;
	struct bw_addr dns[IKE_MAX_DNS];
	size_t n_dns;
	bool request_vip; /* initiator: ask the peer for a virtual IP */
	struct ike_child_conf child[IKE_MAX_CHILD];
	size_t n_child;
};

#endif
