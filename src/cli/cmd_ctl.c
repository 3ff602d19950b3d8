/* SPDX-License-Identifier: ISC */
/* `bulwark ctl`: talks to a running daemon over its control socket. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: bulwark ctl [-s SOCKET] COMMAND [ARG]\n"
	           "\n"
	           "Sends COMMAND to a running bulwark and prints the answer.\n"
	           "  status          IKE SAs and CHILD_SAs, tunnels with packets, bytes and\n"
	           "                  drops by reason; counters\n"
	           "  initiate CONN   starts the IKE connection CONN\n"
	           "  terminate CONN  deletes the IKE SAs of CONN, telling the peer\n"
	           "  stop            stops the daemon\n"
	           "\n"
	           "  -s, --socket PATH  control socket (default /run/bulwark.sock)\n");
}

/* Sends cmd and copies the answer to out; returns 0 or -1 (message printed). */
int cli_ctl_query(const char *path, const char *cmd, FILE *out)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};
	char buf[4096];
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "bulwark ctl: socket path too long\n");
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "bulwark ctl: %s: cannot connect\n", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* One write: the daemon answers and closes after the first read. */
	snprintf(buf, sizeof(buf), "%s\n", cmd);
	if (send(fd, buf, strlen(buf), MSG_NOSIGNAL) < 0) {
		close(fd);
		return -1;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		fwrite(buf, 1, (size_t)n, out);
	close(fd);
	return n < 0 ? -1 : 0;
}

int cmd_ctl(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"socket", required_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *path = "/run/bulwark.sock";
	int c;

	while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	/* "terminate CONN" may come as one argument or as two. */
	{
		char cmd[256] = "";

		for (int i = optind; i < argc; i++) {
			if (strlen(cmd) + strlen(argv[i]) + 2 > sizeof(cmd)) {
				fprintf(stderr, "bulwark ctl: command too long\n");
				return 2;
			}
			if (i > optind)
				strcat(cmd, " ");
			strcat(cmd, argv[i]);
		}
		return cli_ctl_query(path, cmd, stdout) == 0 ? 0 : 1;
	}
}
