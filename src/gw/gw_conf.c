/* SPDX-License-Identifier: ISC */
/*
 * Reads the daemon's YAML configuration (docs/configuration.md) into struct
 * gw_conf. The document tree comes from lib/conf; this file knows the
 * schema: which keys exist, their types, ranges and defaults, and the
 * cross-field rules of manually keyed ESP SAs (RFC 4303): SPI nonzero and
 * unique among inbound SAs (section 2.1), encryption and integrity
 * combinations (AEADs per RFC 4106 and RFC 7634 carry their own ICV, AES-CBC
 * per RFC 3602 needs an HMAC from RFC 4868), exact key lengths (AEAD keys
 * end with the 4-byte salt, as ip-xfrm and tshark write them), and UDP
 * encapsulation ports (RFC 3948). Every error is reported with its position
 * and loading goes on, so that one run lists every mistake; the result is
 * then BW_ERR_CONFIG. Keys are never logged and are wiped on free.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "gw/gw_conf.h"
#include "gw/gw_conf_int.h"
#include "lib/conf.h"
#include "lib/err.h"
#include "lib/log.h"

enum {
	GW_CONF_MAX_MANUAL = 1024, /* manual tunnels in one file */
	GW_CONF_MTU_MIN = 576,     /* RFC 791 minimum datagram every host accepts */
	GW_CONF_MTU_MAX = 9000,    /* jumbo frame; PKT_BUFSIZE leaves room for ESP */
	/* One outbound and one inbound thread own every SA (gw_esp.h); sharding SAs
	 * over more threads is not implemented yet, so more is refused. */
	GW_CONF_WORKERS_MAX = 1,
};

static const char *const top_keys[] = {"log", "daemon", "tun", "ipsec", "ike", NULL};
static const char *const log_keys[] = {"level", "syslog", NULL};
static const char *const daemon_keys[] = {"user", "control_socket", NULL};
static const char *const tun_keys[] = {"name", "mtu", "addresses", NULL};
static const char *const ipsec_keys[] = {"raw_esp", "udp_port", "fwmark",
                                         "workers", "manual",   NULL};
static const char *const manual_keys[] = {
        "name", "mode",          "local",    "remote",    "encap", "local_port", "remote_port",
        "esn",  "replay_window", "local_ts", "remote_ts", "enc",   "integ",      "out",
        "in",   "nat_keepalive", NULL};
static const char *const sa_keys[] = {"spi", "enc_key", "integ_key", NULL};

/* Looks key up in map and checks it is a map; NULL when absent or wrong. */
const struct conf_node *gwc_section(struct loader *l, const struct conf_node *map, const char *key)
{
	const struct conf_node *n = conf_get(map, key);
	char what[64];

	if (n == NULL)
		return NULL;
	snprintf(what, sizeof(what), "'%s'", key);
	if (conf_expect_map(l->doc, n, what) != 0)
		return NULL;
	return n;
}

void gwc_opt_bool(struct loader *l, const struct conf_node *map, const char *key, bool *out)
{
	const struct conf_node *n = conf_get(map, key);

	if (n != NULL)
		conf_get_bool(l->doc, n, key, out);
}

void gwc_opt_u32(struct loader *l, const struct conf_node *map, const char *key, uint32_t min,
                 uint32_t max, uint32_t *out)
{
	const struct conf_node *n = conf_get(map, key);

	if (n != NULL)
		conf_get_u32(l->doc, n, key, min, max, out);
}

void gwc_opt_u16(struct loader *l, const struct conf_node *map, const char *key, uint16_t min,
                 uint16_t *out)
{
	uint32_t v = *out;

	gwc_opt_u32(l, map, key, min, 65535, &v);
	*out = (uint16_t)v;
}

static void load_log(struct loader *l, const struct conf_node *root)
{
	const struct conf_node *sec = gwc_section(l, root, "log"), *n;
	char level[16];
	int lvl;

	if (sec == NULL)
		return;
	conf_check_keys(l->doc, sec, log_keys);
	if ((n = conf_get(sec, "level")) != NULL &&
	    conf_get_str(l->doc, n, "level", level, sizeof(level)) == 0) {
		if ((lvl = bw_log_level_parse(level)) < 0)
			conf_error(l->doc, n,
			           "'level' must be error, warn, notice, info or debug, not '%s'",
			           level);
		else
			l->conf->log_level = lvl;
	}
	gwc_opt_bool(l, sec, "syslog", &l->conf->log_syslog);
}

static void load_daemon(struct loader *l, const struct conf_node *root)
{
	const struct conf_node *sec = gwc_section(l, root, "daemon"), *n;
	struct gw_conf *c = l->conf;

	if (sec == NULL)
		return;
	conf_check_keys(l->doc, sec, daemon_keys);
	if ((n = conf_get(sec, "user")) != NULL)
		conf_get_str(l->doc, n, "user", c->user, sizeof(c->user));
	if ((n = conf_get(sec, "control_socket")) != NULL &&
	    conf_get_str(l->doc, n, "control_socket", c->ctl_socket, sizeof(c->ctl_socket)) == 0 &&
	    c->ctl_socket[0] != '/')
		conf_error(l->doc, n, "'control_socket' must be an absolute path");
}

/* Linux's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or space. */
static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= 16 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s != '\0'; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

static void load_tun(struct loader *l, const struct conf_node *root)
{
	const struct conf_node *sec = gwc_section(l, root, "tun"), *n;
	struct gw_conf *c = l->conf;
	char name[64];

	if (sec == NULL)
		return;
	conf_check_keys(l->doc, sec, tun_keys);
	if ((n = conf_get(sec, "name")) != NULL &&
	    conf_get_str(l->doc, n, "name", name, sizeof(name)) == 0) {
		if (!ifname_ok(name))
			conf_error(l->doc, n,
			           "'name' must be an interface name of 1 to 15 characters "
			           "without '/', ':' or spaces");
		else
			snprintf(c->tun_name, sizeof(c->tun_name), "%s", name);
	}
	gwc_opt_u32(l, sec, "mtu", GW_CONF_MTU_MIN, GW_CONF_MTU_MAX, &c->tun_mtu);
	if ((n = conf_get(sec, "addresses")) == NULL ||
	    conf_expect_seq(l->doc, n, "'addresses'") != 0)
		return;
	if (conf_len(n) > GW_CONF_MAX_ADDRS) {
		conf_error(l->doc, n, "at most %d 'addresses'", GW_CONF_MAX_ADDRS);
		return;
	}
	for (size_t i = 0; i < conf_len(n); i++) {
		const struct conf_node *a = conf_at(n, i);
		char s[64];

		if (conf_get_str(l->doc, a, "addresses", s, sizeof(s)) != 0)
			continue;
		if (bw_prefix_parse(&c->tun_addr[c->n_tun_addr], &c->tun_plen[c->n_tun_addr], s) !=
		    0) {
			conf_error(l->doc, a, "'%s' is not an address/prefix-length", s);
			continue;
		}
		c->n_tun_addr++;
	}
}

/* Parses an outer address: a bare IPv4 or IPv6 address, not unspecified. */
int gwc_outer_addr(struct loader *l, const struct conf_node *n, const char *key,
                   struct bw_addr *out)
{
	static const uint8_t zero[16];
	char s[64];
	int r;

	if ((r = conf_get_str(l->doc, n, key, s, sizeof(s))) != 0)
		return r;
	if (bw_addr_parse(out, s) != 0)
		return conf_error(l->doc, n, "'%s' is not an IPv4 or IPv6 address: '%s'", key, s);
	if (out->port != 0)
		return conf_error(l->doc, n, "'%s' takes no port; use local_port/remote_port", key);
	if (memcmp(out->a, zero, bw_addr_len(out)) == 0)
		return conf_error(l->doc, n, "'%s' must not be the unspecified address", key);
	return 0;
}

/* Reads a list of prefixes into p/plen (at most cap); returns the count. */
size_t gwc_prefixes(struct loader *l, const struct conf_node *n, const char *key, struct bw_addr *p,
                    uint8_t *plen, const struct conf_node **where, size_t cap)
{
	char what[32];
	size_t count = 0;

	snprintf(what, sizeof(what), "'%s'", key);
	if (conf_expect_seq(l->doc, n, what) != 0)
		return 0;
	if (conf_len(n) == 0) {
		conf_error(l->doc, n, "'%s' must name at least one prefix", key);
		return 0;
	}
	if (conf_len(n) > cap) {
		conf_error(l->doc, n, "at most %zu prefixes in '%s'", cap, key);
		return 0;
	}
	for (size_t i = 0; i < conf_len(n); i++) {
		const struct conf_node *e = conf_at(n, i);
		char s[64];

		if (conf_get_str(l->doc, e, key, s, sizeof(s)) != 0)
			continue;
		if (bw_prefix_parse(&p[count], &plen[count], s) != 0) {
			conf_error(l->doc, e, "'%s' is not an address/prefix-length", s);
			continue;
		}
		where[count++] = e;
	}
	return count;
}

/* The parts of a manual tunnel both SAs share, parsed before the SAs. */
struct tunnel {
	const struct esp_enc_name *enc;
	const struct esp_integ_name *integ;
	const struct conf_node *enc_node;
	const struct conf_node *integ_node;
};

static void load_selectors(struct loader *l, const struct conf_node *t, struct gw_conf_manual *m)
{
	struct bw_addr lp[GW_CONF_MAX_TS], rp[GW_CONF_MAX_TS];
	uint8_t llen[GW_CONF_MAX_TS], rlen[GW_CONF_MAX_TS];
	const struct conf_node *lw[GW_CONF_MAX_TS], *rw[GW_CONF_MAX_TS];
	const struct conf_node *ln = conf_get(t, "local_ts"), *rn = conf_get(t, "remote_ts");
	size_t nl = 0, nr = 0;

	if (m->mode == ESP_MODE_TRANSPORT) {
		/* Transport mode protects the hosts themselves: default to host prefixes. */
		lp[0] = m->local;
		rp[0] = m->remote;
		lp[0].port = rp[0].port = 0;
		llen[0] = (uint8_t)(bw_addr_len(&lp[0]) * 8);
		rlen[0] = (uint8_t)(bw_addr_len(&rp[0]) * 8);
		lw[0] = rw[0] = t;
		nl = lp[0].family != 0 ? 1 : 0;
		nr = rp[0].family != 0 ? 1 : 0;
	} else if (ln == NULL || rn == NULL) {
		conf_error(l->doc, t, "tunnel mode needs 'local_ts' and 'remote_ts'");
	}
	if (ln != NULL)
		nl = gwc_prefixes(l, ln, "local_ts", lp, llen, lw, GW_CONF_MAX_TS);
	if (rn != NULL)
		nr = gwc_prefixes(l, rn, "remote_ts", rp, rlen, rw, GW_CONF_MAX_TS);
	/*
	 * Every local x remote pair of one family is a selector; pairs that mix
	 * IPv4 and IPv6 cannot match a packet and are skipped, but each prefix
	 * must pair with something.
	 */
	for (size_t i = 0; i < nl; i++) {
		bool paired = false;

		for (size_t j = 0; j < nr; j++) {
			if (lp[i].family != rp[j].family)
				continue;
			paired = true;
			if (m->n_ts == GW_CONF_MAX_TS) {
				conf_error(l->doc, ln ? ln : t,
				           "more than %d local_ts x remote_ts pairs",
				           GW_CONF_MAX_TS);
				return;
			}
			m->ts[m->n_ts].local = lp[i];
			m->ts[m->n_ts].local_plen = llen[i];
			m->ts[m->n_ts].remote = rp[j];
			m->ts[m->n_ts].remote_plen = rlen[j];
			m->n_ts++;
		}
		if (!paired && nr > 0)
			conf_error(l->doc, lw[i],
			           "local_ts prefix has no remote_ts prefix of the same family");
	}
	for (size_t j = 0; j < nr && nl > 0; j++) {
		bool paired = false;

		for (size_t i = 0; i < nl; i++)
			paired |= lp[i].family == rp[j].family;
		if (!paired)
			conf_error(l->doc, rw[j],
			           "remote_ts prefix has no local_ts prefix of the same family");
	}
}

static void load_algs(struct loader *l, const struct conf_node *t, struct tunnel *tu)
{
	char s[32];

	tu->integ = esp_integ_by_name("none");
	if ((tu->enc_node = conf_get(t, "enc")) == NULL) {
		conf_error(l->doc, t, "missing 'enc'");
	} else if (conf_get_str(l->doc, tu->enc_node, "enc", s, sizeof(s)) == 0) {
		if ((tu->enc = esp_enc_by_name(s)) == NULL)
			conf_error(l->doc, tu->enc_node,
			           "'enc' must be " ESP_ENC_NAMES ", not '%s'", s);
	}
	if ((tu->integ_node = conf_get(t, "integ")) != NULL &&
	    conf_get_str(l->doc, tu->integ_node, "integ", s, sizeof(s)) == 0) {
		if ((tu->integ = esp_integ_by_name(s)) == NULL)
			conf_error(l->doc, tu->integ_node,
			           "'integ' must be " ESP_INTEG_NAMES ", not '%s'", s);
	}
	if (tu->enc == NULL || tu->integ == NULL)
		return;
	/* RFC 4106 section 8.1 / RFC 7634 section 2: the AEAD is its own integrity check. */
	if (tu->enc->aead && tu->integ->integ != ESP_INTEG_NONE)
		conf_error(l->doc, tu->integ_node, "'integ' must be none with %s (an AEAD)",
		           tu->enc->name);
	/* RFC 3602 section 5 / RFC 4303 section 5: CBC alone gives no integrity. */
	if (!tu->enc->aead && tu->integ->integ == ESP_INTEG_NONE)
		conf_error(l->doc, tu->integ_node ? tu->integ_node : t,
		           "%s needs 'integ' (hmac-sha256-128, hmac-sha384-192 or hmac-sha512-256)",
		           tu->enc->name);
}

static void check_spi_unique(struct loader *l, const struct conf_node *n, uint32_t spi,
                             const char *tunnel)
{
	for (size_t i = 0; i < l->n_spis; i++) {
		if (l->spis[i].spi != spi)
			continue;
		conf_error(l->doc, n,
		           "inbound SPI 0x%08x is already used by tunnel '%s' (line %u, column %u)",
		           spi, l->spis[i].tunnel, conf_line(l->spis[i].node),
		           conf_col(l->spis[i].node));
		return;
	}
	/* l->spis has room for one inbound SA per tunnel (see load_ipsec). */
	l->spis[l->n_spis++] = (struct spi_use){spi, n, tunnel};
}

/* Reads one direction's { spi, enc_key, integ_key } into cfg. */
static void load_sa(struct loader *l, const struct conf_node *t, const char *dir,
                    const struct tunnel *tu, struct esp_sa_cfg *cfg, const char *tname)
{
	const struct conf_node *sa = conf_get(t, dir), *n;

	if (sa == NULL) {
		conf_error(l->doc, t, "missing '%s' (the %s SA)", dir,
		           strcmp(dir, "out") == 0 ? "outbound" : "inbound");
		return;
	}
	if (conf_expect_map(l->doc, sa, strcmp(dir, "out") == 0 ? "'out'" : "'in'") != 0)
		return;
	conf_check_keys(l->doc, sa, sa_keys);
	if ((n = conf_get(sa, "spi")) == NULL) {
		conf_error(l->doc, sa, "missing 'spi' in '%s'", dir);
	} else if (conf_get_u32(l->doc, n, "spi", 1, UINT32_MAX, &cfg->spi) == 0) {
		/* RFC 4303 section 2.1: 1..255 are reserved by IANA. */
		if (cfg->spi < 256)
			conf_warn(l->doc, n, "SPI %u is in the range IANA reserves (1-255)",
			          cfg->spi);
		if (strcmp(dir, "in") == 0)
			check_spi_unique(l, n, cfg->spi, tname);
	}
	if ((n = conf_get(sa, "enc_key")) == NULL) {
		conf_error(l->doc, sa, "missing 'enc_key' in '%s'", dir);
	} else if (conf_get_hex(l->doc, n, "enc_key", cfg->encr_key, sizeof(cfg->encr_key),
	                        &cfg->encr_key_len) == 0 &&
	           tu->enc != NULL && cfg->encr_key_len != tu->enc->key_len) {
		conf_error(l->doc, n, "'enc_key' for %s must be %zu bytes (%s), not %zu",
		           tu->enc->name, tu->enc->key_len, tu->enc->key_desc, cfg->encr_key_len);
	}
	n = conf_get(sa, "integ_key");
	if (tu->integ == NULL)
		return;
	if (tu->integ->integ == ESP_INTEG_NONE) {
		if (n != NULL)
			conf_error(l->doc, n, "'integ_key' given but 'integ' is none");
		return;
	}
	if (n == NULL) {
		conf_error(l->doc, sa, "missing 'integ_key' in '%s' (integ is %s)", dir,
		           tu->integ->name);
	} else if (conf_get_hex(l->doc, n, "integ_key", cfg->integ_key, sizeof(cfg->integ_key),
	                        &cfg->integ_key_len) == 0 &&
	           cfg->integ_key_len != tu->integ->key_len) {
		conf_error(l->doc, n, "'integ_key' for %s must be %zu bytes, not %zu",
		           tu->integ->name, tu->integ->key_len, cfg->integ_key_len);
	}
}

static void load_name(struct loader *l, const struct conf_node *t, struct gw_conf_manual *m,
                      size_t idx)
{
	const struct conf_node *n = conf_get(t, "name");

	if (n == NULL) {
		conf_error(l->doc, t, "missing 'name'");
		snprintf(m->name, sizeof(m->name), "#%zu", idx + 1);
		return;
	}
	if (conf_get_str(l->doc, n, "name", m->name, sizeof(m->name)) != 0)
		return;
	if (m->name[0] == '\0') {
		conf_error(l->doc, n, "'name' must not be empty");
		return;
	}
	for (const char *p = m->name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.') {
			conf_error(l->doc, n,
			           "'name' may hold only letters, digits, '-', '_', '.'");
			return;
		}
	}
	for (size_t i = 0; i < idx; i++)
		if (strcmp(l->conf->manual[i].name, m->name) == 0)
			conf_error(l->doc, n, "tunnel name '%s' is used twice", m->name);
}

static void load_outer(struct loader *l, const struct conf_node *t, struct gw_conf_manual *m)
{
	const struct conf_node *ln = conf_get(t, "local"), *rn = conf_get(t, "remote"), *n;
	uint16_t lport = l->conf->esp_udp_port, rport = ESP_UDP_PORT;
	int rl = BW_ERR_CONFIG, rr = BW_ERR_CONFIG;
	char s[16];

	if (ln == NULL)
		conf_error(l->doc, t, "missing 'local' (the outer local address)");
	else
		rl = gwc_outer_addr(l, ln, "local", &m->local);
	if (rn == NULL)
		conf_error(l->doc, t, "missing 'remote' (the outer remote address)");
	else
		rr = gwc_outer_addr(l, rn, "remote", &m->remote);
	if (rl == 0 && rr == 0 && m->local.family != m->remote.family)
		conf_error(l->doc, rn, "'local' and 'remote' must both be IPv4 or both IPv6");

	if ((n = conf_get(t, "encap")) != NULL &&
	    conf_get_str(l->doc, n, "encap", s, sizeof(s)) == 0) {
		if (strcmp(s, "udp") == 0)
			m->udp_encap = true;
		else if (strcmp(s, "none") != 0)
			conf_error(l->doc, n, "'encap' must be none or udp, not '%s'", s);
	}
	if (!m->udp_encap) {
		static const char *const udp_only[] = {"local_port", "remote_port",
		                                       "nat_keepalive"};

		for (size_t i = 0; i < sizeof(udp_only) / sizeof(udp_only[0]); i++)
			if ((n = conf_get(t, udp_only[i])) != NULL)
				conf_error(l->doc, n, "'%s' is only for 'encap: udp'", udp_only[i]);
		return;
	}
	/* RFC 3948 2.3: keepalives hold a NAT mapping open; 20 s is the usual interval. */
	gwc_opt_u32(l, t, "nat_keepalive", 0, 3600, &m->nat_keepalive);
	gwc_opt_u16(l, t, "local_port", 1, &lport);
	gwc_opt_u16(l, t, "remote_port", 1, &rport);
	if (lport == 0 && conf_get(t, "local_port") == NULL)
		conf_error(l->doc, n, "'encap: udp' needs 'local_port' when ipsec.udp_port is 0");
	m->local.port = lport;
	m->remote.port = rport;
}

static void load_manual(struct loader *l, const struct conf_node *t, size_t idx)
{
	struct gw_conf_manual *m = &l->conf->manual[idx];
	struct tunnel tu = {0};
	const struct conf_node *n;
	uint32_t replay = ESP_REPLAY_DEFAULT;
	bool esn = false;
	char s[16];

	if (conf_expect_map(l->doc, t, "a manual tunnel") != 0)
		return;
	conf_check_keys(l->doc, t, manual_keys);
	load_name(l, t, m, idx);
	m->mode = ESP_MODE_TUNNEL;
	if ((n = conf_get(t, "mode")) != NULL &&
	    conf_get_str(l->doc, n, "mode", s, sizeof(s)) == 0) {
		if (strcmp(s, "transport") == 0)
			m->mode = ESP_MODE_TRANSPORT;
		else if (strcmp(s, "tunnel") != 0)
			conf_error(l->doc, n, "'mode' must be tunnel or transport, not '%s'", s);
	}
	load_outer(l, t, m);
	gwc_opt_bool(l, t, "esn", &esn);
	gwc_opt_u32(l, t, "replay_window", 0, ESP_REPLAY_MAX, &replay);
	load_selectors(l, t, m);
	load_algs(l, t, &tu);
	load_sa(l, t, "out", &tu, &m->out, m->name);
	load_sa(l, t, "in", &tu, &m->in, m->name);

	/* Both SAs share everything but SPI and keys; both see this host as local. */
	for (int d = 0; d < 2; d++) {
		struct esp_sa_cfg *cfg = d == 0 ? &m->out : &m->in;

		if (tu.enc != NULL)
			cfg->encr = tu.enc->encr;
		if (tu.integ != NULL)
			cfg->integ = tu.integ->integ;
		cfg->mode = m->mode;
		cfg->esn = esn;
		cfg->replay_window = replay;
		cfg->local = m->local;
		cfg->remote = m->remote;
		cfg->udp_encap = m->udp_encap;
	}
}

static void load_ipsec(struct loader *l, const struct conf_node *root)
{
	const struct conf_node *sec = gwc_section(l, root, "ipsec"), *man;
	struct gw_conf *c = l->conf;

	if (sec == NULL)
		return;
	conf_check_keys(l->doc, sec, ipsec_keys);
	gwc_opt_bool(l, sec, "raw_esp", &c->esp_raw);
	gwc_opt_u16(l, sec, "udp_port", 0, &c->esp_udp_port);
	gwc_opt_u32(l, sec, "fwmark", 0, UINT32_MAX, &c->fwmark);
	gwc_opt_u32(l, sec, "workers", 1, GW_CONF_WORKERS_MAX, &c->workers);
	if ((man = conf_get(sec, "manual")) == NULL ||
	    conf_expect_seq(l->doc, man, "'manual'") != 0 || conf_len(man) == 0)
		return;
	if (conf_len(man) > GW_CONF_MAX_MANUAL) {
		conf_error(l->doc, man, "more than %d manual tunnels", GW_CONF_MAX_MANUAL);
		return;
	}
	c->manual = calloc(conf_len(man), sizeof(*c->manual));
	l->spis = calloc(conf_len(man), sizeof(*l->spis));
	if (c->manual == NULL || l->spis == NULL)
		return; /* the caller sees manual == NULL and fails with BW_ERR_NOMEM */
	c->n_manual = conf_len(man);
	for (size_t i = 0; i < c->n_manual; i++)
		load_manual(l, conf_at(man, i), i);
}

static void defaults(struct gw_conf *c, const char *name)
{
	snprintf(c->path, sizeof(c->path), "%s", name);
	c->log_level = BW_LOG_INFO;
	snprintf(c->ctl_socket, sizeof(c->ctl_socket), "/run/bulwark.sock");
	snprintf(c->tun_name, sizeof(c->tun_name), "bw0");
	c->tun_mtu = 1400;
	c->esp_raw = true;
	c->esp_udp_port = ESP_UDP_PORT;
	c->workers = 1;
	c->ike_port = 500;
	c->ike_retrans_tries = 5;
	c->ike_retrans_ms = 1000;
}

static int load_doc(struct gw_conf **out, struct conf_doc *doc)
{
	const struct conf_node *root = conf_root(doc), *ipsec;
	struct loader l = {.doc = doc};
	int r = 0;

	if ((l.conf = calloc(1, sizeof(*l.conf))) == NULL)
		return BW_ERR_NOMEM;
	defaults(l.conf, conf_name(doc));
	/* An empty file is a valid configuration: every default, no tunnels. */
	if (root != NULL && conf_expect_map(doc, root, "the configuration") == 0) {
		conf_check_keys(doc, root, top_keys);
		load_log(&l, root);
		load_daemon(&l, root);
		load_tun(&l, root);
		load_ipsec(&l, root);
		gwc_load_ike(&l, root);
		ipsec = conf_get(root, "ipsec");
		if (conf_len(conf_get(ipsec, "manual")) > 0 && l.conf->n_manual == 0 &&
		    conf_errors(doc) == 0)
			r = BW_ERR_NOMEM;
	}
	free(l.spis);
	if (r == 0 && conf_errors(doc) > 0) {
		log_err("conf", "%s: %u error%s", conf_name(doc), conf_errors(doc),
		        conf_errors(doc) == 1 ? "" : "s");
		r = BW_ERR_CONFIG;
	}
	if (r != 0) {
		gw_conf_free(l.conf);
		return r;
	}
	*out = l.conf;
	return 0;
}

int gw_conf_load_buf(struct gw_conf **out, const char *name, const char *buf, size_t len)
{
	struct conf_doc *doc;
	int r;

	*out = NULL;
	if ((r = conf_load_buf(&doc, name, buf, len)) != 0)
		return r;
	r = load_doc(out, doc);
	conf_free(doc);
	return r;
}

int gw_conf_load(struct gw_conf **out, const char *path)
{
	struct conf_doc *doc;
	int r;

	*out = NULL;
	if ((r = conf_load_file(&doc, path)) != 0)
		return r;
	r = load_doc(out, doc);
	conf_free(doc);
	return r;
}

void gw_conf_free(struct gw_conf *conf)
{
	if (conf == NULL)
		return;
	gwc_free_ike(conf);
	if (conf->manual != NULL) {
		crypto_wipe(conf->manual, conf->n_manual * sizeof(*conf->manual));
		free(conf->manual);
	}
	free(conf);
}
