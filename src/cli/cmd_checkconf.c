/* SPDX-License-Identifier: ISC */
/*
 * `bulwark checkconf FILE`: loads a configuration exactly as the daemon
 * would and prints what it declares (TUN device, listeners, each manually
 * keyed tunnel with its selectors, transforms and SPIs, each IKE connection
 * with its identities, proposals, pools and children), or every error with
 * its file:line:column. Keys and pre-shared keys are never printed. Exit status 0 when the
 * file is valid, 1 when it is not, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "gw/gw_conf.h"
#include "lib/err.h"
#include "lib/log.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: bulwark checkconf [--help] FILE\n\n"
	           "Checks a configuration file and prints a summary of what it declares\n"
	           "(never the keys). Exits 0 if the file is valid, 1 otherwise, listing\n"
	           "every error as file:line:column: message.\n");
}

/* Prints log lines plainly, without a time stamp: this is a tool, not the daemon. */
static void sink(enum bw_log_level level, const char *line, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s%s\n", level == BW_LOG_WARN ? "warning: " : "", line);
}

static const char *enc_name(const struct esp_sa_cfg *c)
{
	switch (c->encr) {
	case ESP_ENCR_AES_GCM_16:
		return c->encr_key_len == 20 ? "aes-gcm-128" : "aes-gcm-256";
	case ESP_ENCR_CHACHA20_POLY1305:
		return "chacha20-poly1305";
	case ESP_ENCR_AES_CBC:
		return c->encr_key_len == 16 ? "aes-cbc-128" : "aes-cbc-256";
	}
	return "?";
}

static const char *integ_name(enum esp_integ i)
{
	switch (i) {
	case ESP_INTEG_NONE:
		return "none";
	case ESP_INTEG_HMAC_SHA256_128:
		return "hmac-sha256-128";
	case ESP_INTEG_HMAC_SHA384_192:
		return "hmac-sha384-192";
	case ESP_INTEG_HMAC_SHA512_256:
		return "hmac-sha512-256";
	}
	return "?";
}

static void print_endpoint(const struct bw_addr *a, bool port)
{
	char buf[64];

	bw_addr_str(a, buf, sizeof(buf));
	if (!port)
		printf("%s", buf);
	else if (a->family == AF_INET6)
		printf("[%s]:%u", buf, a->port);
	else
		printf("%s:%u", buf, a->port);
}

static void print_manual(const struct gw_conf_manual *m)
{
	char a[64], b[64];

	printf("tunnel %s: %s mode, ", m->name,
	       m->mode == ESP_MODE_TUNNEL ? "tunnel" : "transport");
	print_endpoint(&m->local, m->udp_encap);
	printf(" <-> ");
	print_endpoint(&m->remote, m->udp_encap);
	printf(", encap %s\n", m->udp_encap ? "udp (RFC 3948)" : "none (IP protocol 50)");
	printf("  enc %s, integ %s, esn %s, replay window %u\n", enc_name(&m->out),
	       integ_name(m->out.integ), m->out.esn ? "yes" : "no", m->in.replay_window);
	printf("  out spi 0x%08x, in spi 0x%08x\n", m->out.spi, m->in.spi);
	for (size_t i = 0; i < m->n_ts; i++)
		printf("  selector %s/%u <-> %s/%u\n", bw_addr_str(&m->ts[i].local, a, sizeof(a)),
		       m->ts[i].local_plen, bw_addr_str(&m->ts[i].remote, b, sizeof(b)),
		       m->ts[i].remote_plen);
}

/* Transform names as swanctl writes them (RFC 7296 3.3.2 IDs back to text). */
static const char *xf_name(int kind, uint16_t id, uint16_t bits)
{
	static const struct {
		int kind;
		uint16_t id, bits;
		const char *name;
	} names[] = {
	        {0, 12, 128, "aes128"},         {0, 12, 192, "aes192"},
	        {0, 12, 256, "aes256"},         {0, 20, 128, "aes128gcm16"},
	        {0, 20, 192, "aes192gcm16"},    {0, 20, 256, "aes256gcm16"},
	        {0, 28, 0, "chacha20poly1305"}, {1, 5, 0, "prfsha256"},
	        {1, 6, 0, "prfsha384"},         {1, 7, 0, "prfsha512"},
	        {2, 12, 0, "sha256"},           {2, 13, 0, "sha384"},
	        {2, 14, 0, "sha512"},           {3, 14, 0, "modp2048"},
	        {3, 19, 0, "ecp256"},           {3, 20, 0, "ecp384"},
	        {3, 21, 0, "ecp521"},           {3, 31, 0, "x25519"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].kind == kind && names[i].id == id && names[i].bits == bits)
			return names[i].name;
	return "?";
}

static void print_proposal(const struct ike_proposal *p, bool esp)
{
	const char *sep = "";

	for (size_t i = 0; i < p->n_encr; i++, sep = "-")
		printf("%s%s", sep, xf_name(0, p->encr[i], p->encr_bits[i]));
	for (size_t i = 0; i < p->n_integ; i++)
		printf("-%s", xf_name(2, p->integ[i], 0));
	for (size_t i = 0; i < p->n_prf; i++)
		printf("-%s", xf_name(1, p->prf[i], 0));
	for (size_t i = 0; i < p->n_dh; i++)
		printf("-%s", xf_name(3, p->dh[i], 0));
	for (size_t i = 0; esp && i < p->n_esn; i++)
		printf("-%s", p->esn[i] ? "esn" : "noesn");
}

static void print_id(const struct ike_id *id)
{
	char buf[INET6_ADDRSTRLEN];

	if (id->any) {
		printf("%%any");
		return;
	}
	switch (id->type) {
	case 0:
		printf("(certificate subject)");
		break;
	case 1:
	case 5:
		printf("%s",
		       inet_ntop(id->type == 1 ? AF_INET : AF_INET6, id->data, buf, sizeof(buf)));
		break;
	case 2:
	case 3:
		printf("%s%.*s", id->type == 2 ? "fqdn:" : "email:", (int)id->len,
		       (const char *)id->data);
		break;
	case 9:
		printf("dn (%zu bytes DER)", id->len);
		break;
	default:
		printf("type %u", id->type);
	}
}

static void print_end(const char *what, const struct ike_end *e)
{
	printf("  %s: id ", what);
	print_id(&e->id);
	printf(", auth %s", e->auth == IKE_AUTH_PSK ? "psk" : "pubkey");
	if (e->auth == IKE_AUTH_PUBKEY && e->cert[0] != '\0')
		printf(", cert %s, key %s", e->cert, e->key);
	if (e->auth == IKE_AUTH_PUBKEY && e->cacert[0] != '\0')
		printf(", cacert %s", e->cacert);
	printf("\n");
}

static void print_addrs(const struct bw_addr *a, const uint8_t *plen, size_t n, const char *none)
{
	char buf[64];

	if (n == 0)
		printf("%s", none);
	for (size_t i = 0; i < n; i++) {
		printf("%s%s", i ? "," : "", bw_addr_str(&a[i], buf, sizeof(buf)));
		if (plen != NULL)
			printf("/%u", plen[i]);
	}
}

static void print_child(const struct ike_child_conf *ch)
{
	printf("  child %s: %s mode, ", ch->name,
	       ch->mode == ESP_MODE_TUNNEL ? "tunnel" : "transport");
	print_addrs(ch->local_ts, ch->local_plen, ch->n_local_ts, "dynamic");
	printf(" <-> ");
	print_addrs(ch->remote_ts, ch->remote_plen, ch->n_remote_ts, "dynamic");
	printf(", start %s\n", ch->start_action == IKE_START_START ? "start" : "none");
	printf("    esp proposals:");
	for (size_t i = 0; i < ch->n_prop; i++) {
		printf(" ");
		print_proposal(&ch->prop[i], true);
	}
	printf("\n    rekey %us, life %us, replay window %u\n", ch->rekey_time, ch->life_time,
	       ch->replay_window);
}

static void print_conn(const struct ike_conn_conf *k)
{
	printf("ike connection %s: ", k->name);
	print_addrs(k->local_addrs, NULL, k->n_local_addrs, "%any");
	printf(" <-> ");
	print_addrs(k->remote_addrs, NULL, k->n_remote_addrs, "%any (responder only)");
	printf("%s\n", k->encap ? ", encap forced" : "");
	printf("  proposals:");
	for (size_t i = 0; i < k->n_prop; i++) {
		printf(" ");
		print_proposal(&k->prop[i], false);
	}
	printf("\n");
	print_end("local", &k->local);
	print_end("remote", &k->remote);
	/* The secret itself never: only whether one is set. */
	if (k->psk_len > 0)
		printf("  psk: set (%zu bytes)\n", k->psk_len);
	printf("  rekey %us, reauth %us, dpd %us, keyingtries %u\n", k->rekey_time, k->reauth_time,
	       k->dpd_delay, k->keyingtries);
	if (k->n_pools > 0 || k->n_dns > 0) {
		printf("  pools ");
		print_addrs(k->pools, k->pool_plen, k->n_pools, "none");
		printf(", dns ");
		print_addrs(k->dns, NULL, k->n_dns, "none");
		printf("\n");
	}
	if (k->request_vip)
		printf("  asks for a virtual IP\n");
	for (size_t i = 0; i < k->n_child; i++)
		print_child(&k->child[i]);
}

static void print_conf(const struct gw_conf *c)
{
	static const char *const levels[] = {"",     "",       "",     "error",
	                                     "warn", "notice", "info", "debug"};
	char a[64];

	printf("%s: OK\n", c->path);
	printf("log: level %s%s\n",
	       c->log_level >= BW_LOG_ERR && c->log_level <= BW_LOG_DEBUG ? levels[c->log_level]
	                                                                  : "?",
	       c->log_syslog ? ", syslog" : "");
	printf("daemon: control socket %s, user %s\n", c->ctl_socket,
	       c->user[0] ? c->user : "(unchanged)");
	printf("tun: %s, mtu %u", c->tun_name, c->tun_mtu);
	for (size_t i = 0; i < c->n_tun_addr; i++)
		printf("%s %s/%u", i == 0 ? ", addresses" : ",",
		       bw_addr_str(&c->tun_addr[i], a, sizeof(a)), c->tun_plen[i]);
	printf("\n");
	printf("listen: raw ESP (IP protocol 50) %s, UDP-encapsulated ESP ",
	       c->esp_raw ? "on" : "off");
	if (c->esp_udp_port != 0)
		printf("on port %u", c->esp_udp_port);
	else
		printf("off");
	printf(", fwmark %u, workers %u\n", c->fwmark, c->workers);
	if (c->n_manual == 0)
		printf("no manual tunnels\n");
	for (size_t i = 0; i < c->n_manual; i++)
		print_manual(&c->manual[i]);
	if (c->ike_port == 0)
		printf("ike: off\n");
	else
		printf("ike: port %u, %zu connection%s\n", c->ike_port, c->n_conn,
		       c->n_conn == 1 ? "" : "s");
	for (size_t i = 0; i < c->n_conn; i++)
		print_conn(&c->conn[i]);
}

int cmd_checkconf(int argc, char **argv)
{
	struct gw_conf *conf;
	const char *path = NULL;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (argv[i][0] == '-' || path != NULL) {
			usage(stderr);
			return 2;
		}
		path = argv[i];
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}
	bw_log_set_sink(sink, NULL);
	r = gw_conf_load(&conf, path);
	bw_log_set_sink(NULL, NULL);
	if (r != 0) {
		if (r != BW_ERR_CONFIG)
			fprintf(stderr, "%s: %s\n", path, bw_strerror(r));
		return 1;
	}
	print_conf(conf);
	gw_conf_free(conf);
	return 0;
}
