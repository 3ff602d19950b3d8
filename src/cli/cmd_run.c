/* SPDX-License-Identifier: ISC */
/* `bulwark run`: the gateway daemon in the foreground. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "gw/gw.h"
#include "gw/gw_conf.h"
#include "lib/err.h"
#include "lib/log.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: bulwark run -c FILE [-d] [--syslog]\n"
	           "\n"
	           "Runs the gateway in the foreground with the configuration FILE\n"
	           "(see docs/configuration.md). Stops on SIGINT or SIGTERM, or\n"
	           "'bulwark ctl -s SOCKET stop'; SIGUSR1 prints counters.\n"
	           "\n"
	           "  -c, --config FILE  configuration file\n"
	           "  -d, --debug        debug logging (overrides log.level)\n"
	           "      --syslog       log to syslog as well\n");
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"debug", no_argument, NULL, 'd'},
	        {"syslog", no_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	bool debug = false, use_syslog = false;
	struct gw_conf *conf;
	struct gw *gw;
	int c, r;

	while ((c = getopt_long(argc, argv, "c:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 's':
			use_syslog = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	bw_log_init("bulwark", BW_LOG_INFO, use_syslog, true);
	if (crypto_init() != 0) {
		log_err("gw", "crypto library initialisation failed");
		return 1;
	}
	if (gw_conf_load(&conf, path) != 0)
		return 1;
	bw_log_set_level(debug ? BW_LOG_DEBUG : (enum bw_log_level)conf->log_level);
	if (conf->log_syslog && !use_syslog)
		bw_log_init("bulwark", debug ? BW_LOG_DEBUG : (enum bw_log_level)conf->log_level,
		            true, true);
	if ((r = gw_new(&gw, conf)) != 0) {
		log_err_r("gw", r, "start-up failed");
		return 1;
	}
	if ((r = gw_drop_privileges(gw)) != 0 || (r = gw_run(gw)) != 0) {
		gw_free(gw);
		return 1;
	}
	gw_free(gw);
	return 0;
}
