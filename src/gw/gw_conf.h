/* SPDX-License-Identifier: ISC */
/*
 * The daemon's configuration: one YAML file (docs/configuration.md) read
 * into a host-order struct. Parsing checks types, ranges and unknown keys
 * and reports every error as "file:line:column: message".
 */
#ifndef BW_GW_CONF_H
#define BW_GW_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipsec/esp.h"
#include "lib/addr.h"

enum {
	GW_CONF_MAX_TS = 16,   /* traffic selectors per manual tunnel */
	GW_CONF_MAX_ADDRS = 8, /* addresses on the TUN device */
	GW_CONF_NAME_MAX = 64,
};

/* One manually keyed ESP tunnel: a pair of SAs and its selectors. */
struct gw_conf_manual {
	char name[GW_CONF_NAME_MAX];
	enum esp_mode mode;
	struct bw_addr local;  /* outer; port is the UDP-encap source port */
	struct bw_addr remote; /* outer; port is the UDP-encap destination port */
	bool udp_encap;
	uint32_t nat_keepalive; /* seconds between NAT-keepalives (RFC 3948 2.3); 0 = none */
	struct esp_ts ts[GW_CONF_MAX_TS];
	size_t n_ts;
	struct esp_sa_cfg out; /* local -> remote */
	struct esp_sa_cfg in;  /* remote -> local */
};

/*
 * IKE (RFC 7296) connections, in the spirit of swanctl.conf. Algorithms are
 * kept as IANA transform IDs (RFC 7296 3.3.2, IKEv2 registry); one proposal
 * may list several of each transform type, as swanctl's
 * "aes256gcm16-aes128gcm16-prfsha256-x25519-ecp256" does.
 */
enum {
	GW_PROP_MAX = 8,      /* proposals per connection or child */
	GW_PROP_MAX_ALGS = 8, /* transforms of one type in a proposal */
	GW_IKE_MAX_CONN = 256,
	GW_IKE_MAX_CHILD = 8,
	GW_IKE_MAX_ADDRS = 8,
	GW_IKE_ID_MAX = 255,
	GW_IKE_PSK_MAX = 256,
	GW_IKE_MAX_POOLS = 4,
	GW_IKE_MAX_DNS = 4,
};

struct gw_proposal {
	uint16_t encr[GW_PROP_MAX_ALGS]; /* ENCR_*: AES_CBC 12, AES_GCM_16 20, CHACHA20_POLY1305 28
	                                  */
	uint16_t encr_bits[GW_PROP_MAX_ALGS]; /* key length attribute; 0 for ChaCha20-Poly1305 */
	size_t n_encr;
	uint16_t prf[GW_PROP_MAX_ALGS]; /* PRF_HMAC_SHA2_256 5, _384 6, _512 7 (IKE only) */
	size_t n_prf;
	uint16_t integ[GW_PROP_MAX_ALGS]; /* AUTH_HMAC_SHA2_256_128 12, _384_192 13, _512_256 14 */
	size_t n_integ;                   /* 0 with AEADs */
	uint16_t dh[GW_PROP_MAX_ALGS];    /* 14, 19, 20, 21, 31; ESP: PFS groups, may be empty */
	size_t n_dh;
	uint8_t esn[2]; /* ESP only: ESN transform values 0 (no) / 1 (yes) */
	size_t n_esn;
};

enum gw_ike_auth {
	GW_IKE_AUTH_PSK,
	GW_IKE_AUTH_PUBKEY, /* certificates, RFC 7427 signatures */
};

/* An identity (RFC 7296 3.5) in wire form; type 0 with any = match every peer. */
struct gw_ike_id {
	uint8_t type; /* ID_IPV4_ADDR 1, ID_FQDN 2, ID_RFC822_ADDR 3, ID_IPV6_ADDR 5, ID_DER_ASN1_DN
	                 9, ID_KEY_ID 11 */
	uint8_t data[GW_IKE_ID_MAX];
	size_t len;
	bool any;
};

struct gw_ike_end {
	struct gw_ike_id id;
	enum gw_ike_auth auth;
	char cert[256];   /* PEM certificate file (local: our own) */
	char key[256];    /* PEM private key file (local only) */
	char cacert[256]; /* PEM trust anchor(s) for the peer (remote only) */
};

enum gw_start_action {
	GW_START_NONE,  /* wait for the peer */
	GW_START_START, /* initiate when the daemon starts */
};

struct gw_conf_child {
	char name[GW_CONF_NAME_MAX];
	enum esp_mode mode;
	struct gw_proposal prop[GW_PROP_MAX];
	size_t n_prop;
	struct bw_addr local_ts[GW_CONF_MAX_TS]; /* empty = our (virtual) address */
	uint8_t local_plen[GW_CONF_MAX_TS];
	size_t n_local_ts;
	struct bw_addr remote_ts[GW_CONF_MAX_TS]; /* empty = the peer's (virtual) address */
	uint8_t remote_plen[GW_CONF_MAX_TS];
	size_t n_remote_ts;
	uint32_t rekey_time; /* seconds; 0 = never */
	uint32_t life_time;  /* hard lifetime, seconds; default rekey_time * 1.1 */
	uint32_t replay_window;
	enum gw_start_action start_action;
};

struct gw_conf_conn {
	char name[GW_CONF_NAME_MAX];
	struct bw_addr local_addrs[GW_IKE_MAX_ADDRS]; /* empty = any local address */
	size_t n_local_addrs;
	struct bw_addr remote_addrs[GW_IKE_MAX_ADDRS]; /* empty = any peer (responder only) */
	size_t n_remote_addrs;
	struct gw_proposal prop[GW_PROP_MAX];
	size_t n_prop;
	bool encap; /* force UDP encapsulation (pretend a NAT, as charon's encap=yes) */
	struct gw_ike_end local;
	struct gw_ike_end remote;
	uint8_t psk[GW_IKE_PSK_MAX]; /* wiped on free; never logged */
	size_t psk_len;
	uint32_t rekey_time;  /* IKE_SA rekey, seconds; 0 = never */
	uint32_t reauth_time; /* seconds; 0 = never */
	uint32_t dpd_delay;   /* seconds of silence before a liveness check; 0 = off */
	uint32_t keyingtries; /* initiation attempts; 0 = forever */
	/* Remote access: virtual IPs handed out with CP (RFC 7296 3.15) */
	struct bw_addr pools[GW_IKE_MAX_POOLS];
	uint8_t pool_plen[GW_IKE_MAX_POOLS];
	size_t n_pools;
	struct bw_addr dns[GW_IKE_MAX_DNS];
	size_t n_dns;
	bool request_vip; /* initiator: ask the peer for a virtual IP */
	struct gw_conf_child child[GW_IKE_MAX_CHILD];
	size_t n_child;
};

struct gw_conf {
	char path[256]; /* the file it came from */
	/* log: */
	int log_level; /* enum bw_log_level */
	bool log_syslog;
	/* daemon: */
	char user[GW_CONF_NAME_MAX]; /* drop privileges to this user after set-up; "" = stay */
	char ctl_socket[108];        /* control socket path */
	/* tun: */
	char tun_name[16];
	uint32_t tun_mtu;
	struct bw_addr tun_addr[GW_CONF_MAX_ADDRS];
	uint8_t tun_plen[GW_CONF_MAX_ADDRS];
	size_t n_tun_addr;
	/* ipsec: */
	bool esp_raw;                  /* listen for IP protocol 50 */
	uint16_t esp_udp_port;         /* UDP-encapsulated ESP; 0 = off */
	uint32_t fwmark;               /* SO_MARK on outer sockets (policy routing); 0 = none */
	uint32_t workers;              /* data-plane threads per direction; 0 = 1 */
	struct gw_conf_manual *manual; /* manually keyed tunnels */
	size_t n_manual;
	/* ike: */
	uint16_t ike_port;         /* IKE listen port; 0 = IKE off (NAT-T uses ipsec.udp_port) */
	struct gw_conf_conn *conn; /* IKE connections */
	size_t n_conn;
};

/* Reads and checks a config file. Errors are logged with file:line:col. */
int gw_conf_load(struct gw_conf **out, const char *path);
/* Same, from memory; `name` stands for the file name in messages. */
int gw_conf_load_buf(struct gw_conf **out, const char *name, const char *buf, size_t len);
void gw_conf_free(struct gw_conf *conf);

#endif
