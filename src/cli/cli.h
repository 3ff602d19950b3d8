/* SPDX-License-Identifier: ISC */
/* Subcommands of the bulwark program: each is int cmd_x(int argc, char **argv). */
#ifndef BW_CLI_H
#define BW_CLI_H

int cmd_run(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_checkconf(int argc, char **argv);

#endif
