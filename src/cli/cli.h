/* SPDX-License-Identifier: ISC */
/* Subcommands of the bulwark program: each is int cmd_x(int argc, char **argv). */
#ifndef BW_CLI_H
#define BW_CLI_H

int cmd_run(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_checkconf(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
int cmd_ips(int argc, char **argv);

#include <stdio.h>
/* Sends one command to a daemon's control socket and copies the answer to out. */
int cli_ctl_query(const char *path, const char *cmd, FILE *out);

#endif
