/* SPDX-License-Identifier: ISC */
/*
 * `bulwark checkconf FILE`: loads a configuration exactly as the daemon
 * would and prints what it declares (TUN device, listeners, each manually
 * keyed tunnel with its selectors, transforms and SPIs), or every error
 * with its file:line:column. Keys are never printed. Exit status 0 when the
 * file is valid, 1 when it is not, 2 on bad usage.
 */
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
