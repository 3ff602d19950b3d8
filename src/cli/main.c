/* SPDX-License-Identifier: ISC */
/* The bulwark program: dispatches to subcommands; each has --help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef BW_MIMALLOC
#include <mimalloc.h>
#endif

#include "cli/cli.h"
#include "ips/mpm.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
        {"run", cmd_run, "run the gateway daemon with a configuration file"},
        {"ctl", cmd_ctl, "query or stop a running daemon over its control socket"},
        {"checkconf", cmd_checkconf, "check a configuration file and print what it declares"},
        {"ips", cmd_ips, "run the IPS over a capture file with Snort/Suricata rules"},
        {"demo", cmd_demo, "build namespaces, run two gateways and show traffic crossing ESP"},
};

/*
 * The allocator serving malloc(): with mimalloc linked, whether it really
 * replaced the C library's (a block from malloc() is in its heap), so that
 * a build or link-order mistake shows.
 */
static void print_allocator(void)
{
#ifdef BW_MIMALLOC
	void *p = malloc(64);
	int v = mi_version();
	printf("allocator: mimalloc %d.%d.%d%s\n", v / 100, v / 10 % 10, v % 10,
	       p && mi_is_in_heap_region(p) ? "" : " (linked, but not serving malloc)");
	free(p);
#else
	printf("allocator: C library\n");
#endif
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bulwark <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "  %-10s %s\n", "version", "print the version");
	fprintf(f, "\n'bulwark <command> --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("bulwark %s\n", BW_VERSION);
		print_allocator();
		printf("vectorscan: %s code\n", ips_mpm_hs_impl());
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "bulwark: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
