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

#include "ike/ike_conf.h"
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
	uint16_t ike_port;          /* IKE listen port; 0 = IKE off (NAT-T uses ipsec.udp_port) */
	bool ike_log_keys;          /* log IKE SA keys for tshark (tests only) */
	uint32_t ike_retrans_tries; /* retransmissions before giving up (5) */
	uint32_t ike_retrans_ms;    /* first retransmission timeout, ms, doubling (1000) */
	struct ike_conn_conf *conn; /* IKE connections */
	size_t n_conn;
};

/* Reads and checks a config file. Errors are logged with file:line:col. */
int gw_conf_load(struct gw_conf **out, const char *path);
/* Same, from memory; `name` stands for the file name in messages. */
int gw_conf_load_buf(struct gw_conf **out, const char *name, const char *buf, size_t len);
void gw_conf_free(struct gw_conf *conf);

#endif
