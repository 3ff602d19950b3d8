/* SPDX-License-Identifier: ISC */
/*
 * The gateway daemon: privileged set-up (TUN, addresses, routes to the
 * remote selectors, outer sockets, control socket), privilege drop, then
 * the control loop on the main thread while the ESP threads move packets.
 *
 * Control socket: a Unix stream socket; a client sends one command line
 * ("status" or "stop") and reads the answer until the daemon closes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gw/gw.h"
#include "gw/gw_esp.h"
#include "gw/gw_ike.h"
#include "gw/gw_tun.h"
#include "lib/err.h"
#include "lib/evloop.h"
#include "lib/log.h"

struct gw {
	struct gw_conf *conf;
	struct ev_loop *loop;
	struct gw_esp *esp;
	struct gw_ike *ike; /* NULL without IKE connections */
	int tun_ifindex;
	int tun_fd;
	int ctl_fd;
	int sig_fd;
	char tun_name[16];
	bool tun_vnet;           /* TUN carries virtio net headers (TSO/GRO) */
	struct gw_keepalive *ka; /* one per manual tunnel */
};

/* A NAT-keepalive timer for one UDP-encapsulated manual tunnel. */
struct gw_keepalive {
	struct gw *gw;
	size_t idx;
	struct ev_timer timer;
};

static void keepalive_fire(void *arg, uint64_t now)
{
	struct gw_keepalive *k = arg;
	const struct gw_conf_manual *m = &k->gw->conf->manual[k->idx];

	if (gw_esp_send_keepalive(k->gw->esp, k->idx) != 0)
		log_debug("gw", "tunnel=%s: NAT-keepalive not sent", m->name);
	ev_timer_arm(k->gw->loop, &k->timer, now + (uint64_t)m->nat_keepalive * 1000);
}

static int setup_keepalives(struct gw *gw)
{
	const struct gw_conf *conf = gw->conf;
	uint64_t now = ev_now_ms();

	if (conf->n_manual == 0)
		return 0;
	if ((gw->ka = calloc(conf->n_manual, sizeof(*gw->ka))) == NULL)
		return BW_ERR_NOMEM;
	for (size_t i = 0; i < conf->n_manual; i++) {
		struct gw_keepalive *k = &gw->ka[i];

		k->gw = gw;
		k->idx = i;
		ev_timer_init(&k->timer, keepalive_fire, k);
		if (conf->manual[i].udp_encap && conf->manual[i].nat_keepalive > 0)
			ev_timer_arm(gw->loop, &k->timer, now + 1000);
	}
	return 0;
}

static int setup_tun(struct gw *gw)
{
	const struct gw_conf *conf = gw->conf;
	int ifindex, r;

	snprintf(gw->tun_name, sizeof(gw->tun_name), "%s", conf->tun_name);
	if ((gw->tun_fd = gw_tun_open(gw->tun_name, true, &gw->tun_vnet)) < 0)
		return gw->tun_fd;
	if ((ifindex = gw_tun_ifindex(gw->tun_name)) < 0)
		return ifindex;
	gw->tun_ifindex = ifindex;
	if ((r = gw_nl_link_up(ifindex, conf->tun_mtu)) != 0)
		return r;
	for (size_t i = 0; i < conf->n_tun_addr; i++)
		if ((r = gw_nl_addr_add(ifindex, &conf->tun_addr[i], conf->tun_plen[i])) != 0)
			return r;
	/* Route every remote selector of a tunnel-mode SA into the TUN device. */
	for (size_t t = 0; t < conf->n_manual; t++) {
		const struct gw_conf_manual *m = &conf->manual[t];

		if (m->mode != ESP_MODE_TUNNEL)
			continue;
		for (size_t i = 0; i < m->n_ts; i++)
			if ((r = gw_nl_route_add(ifindex, &m->ts[i].remote,
			                         m->ts[i].remote_plen)) != 0)
				return r;
	}
	log_info("gw", "tun=%s mtu=%u offload=%s up", gw->tun_name, conf->tun_mtu,
	         gw->tun_vnet ? "tso+gro" : "none");
	return 0;
}

static void ctl_client(int fd, unsigned events, void *arg)
{
	struct gw *gw = arg;
	char cmd[128];
	ssize_t n;
	FILE *f;
	int r;

	(void)events;
	ev_io_del(gw->loop, fd);
	n = recv(fd, cmd, sizeof(cmd) - 1, 0);
	if (n <= 0) {
		close(fd);
		return;
	}
	cmd[n] = '\0';
	cmd[strcspn(cmd, "\r\n")] = '\0';
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return;
	}
	if (strcmp(cmd, "status") == 0) {
		fprintf(f, "bulwark tun=%s\n", gw->tun_name);
		gw_ike_status(gw->ike, f);
		gw_esp_status(gw->esp, f);
	} else if (strncmp(cmd, "initiate ", 9) == 0) {
		r = gw_ike_initiate(gw->ike, cmd + 9);
		fprintf(f, r == 0 ? "initiating %s\n" : "error: no connection %s\n", cmd + 9);
	} else if (strncmp(cmd, "terminate ", 10) == 0) {
		r = gw_ike_terminate(gw->ike, cmd + 10);
		fprintf(f, r == 0 ? "terminating %s\n" : "error: no IKE SA of %s\n", cmd + 10);
	} else if (strcmp(cmd, "stop") == 0) {
		fprintf(f, "stopping\n");
		ev_loop_stop(gw->loop);
	} else {
		fprintf(f,
		        "error: unknown command '%.32s' (status, initiate C, terminate C, stop)\n",
		        cmd);
	}
	fclose(f);
}

static void ctl_accept(int fd, unsigned events, void *arg)
{
	struct gw *gw = arg;
	int c;

	(void)events;
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	/* The client writes its command at once; a silent client is dropped after 2 s. */
	struct timeval tv = {.tv_sec = 2};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (ev_io_add(gw->loop, c, EV_READ, ctl_client, gw) != 0)
		close(c);
}

static int setup_ctl(struct gw *gw)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	const char *path = gw->conf->ctl_socket;

	if (path[0] == '\0')
		return 0;
	if (strlen(path) >= sizeof(sun.sun_path))
		return BW_ERR_INVAL;
	strcpy(sun.sun_path, path);
	gw->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (gw->ctl_fd < 0)
		return BW_ERR_IO;
	unlink(path);
	if (bind(gw->ctl_fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || chmod(path, 0600) != 0 ||
	    listen(gw->ctl_fd, 8) != 0) {
		log_err("gw", "control socket %s: %s", path, strerror(errno));
		return BW_ERR_IO;
	}
	return ev_io_add(gw->loop, gw->ctl_fd, EV_READ, ctl_accept, gw);
}

static void on_signal(int fd, unsigned events, void *arg)
{
	struct gw *gw = arg;
	struct signalfd_siginfo si;

	(void)events;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR1) {
		gw_esp_status(gw->esp, stderr);
		return;
	}
	{
		unsigned signo = si.ssi_signo; /* a copy: gcc 12 -O3 warns on the struct field */

		log_notice("gw", "signal %u: stopping", signo);
	}
	ev_loop_stop(gw->loop);
}

static int setup_signals(struct gw *gw)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	/* Blocked before the data plane threads start, so they inherit the mask. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return BW_ERR_IO;
	signal(SIGPIPE, SIG_IGN);
	if ((gw->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return BW_ERR_IO;
	return ev_io_add(gw->loop, gw->sig_fd, EV_READ, on_signal, gw);
}

int gw_new(struct gw **out, struct gw_conf *conf)
{
	struct gw *gw;
	int r = BW_ERR_NOMEM;

	*out = NULL;
	if ((gw = calloc(1, sizeof(*gw))) == NULL) {
		gw_conf_free(conf);
		return BW_ERR_NOMEM;
	}
	gw->conf = conf;
	gw->tun_fd = gw->ctl_fd = gw->sig_fd = -1;
	if ((gw->loop = ev_loop_new()) == NULL)
		goto fail;
	if ((r = setup_signals(gw)) != 0 || (r = setup_tun(gw)) != 0 ||
	    (r = gw_esp_new(&gw->esp, conf, gw->tun_fd, gw->tun_vnet)) != 0 ||
	    (r = setup_ctl(gw)) != 0 || (r = setup_keepalives(gw)) != 0 ||
	    (r = gw_ike_new(&gw->ike, conf, gw->loop, gw->esp, gw->tun_ifindex)) != 0)
		goto fail;
	*out = gw;
	return 0;
fail:
	gw_free(gw);
	return r;
}

void gw_free(struct gw *gw)
{
	if (gw == NULL)
		return;
	gw_ike_free(gw->ike);
	gw_esp_free(gw->esp);
	if (gw->ctl_fd >= 0) {
		close(gw->ctl_fd);
		unlink(gw->conf->ctl_socket);
	}
	if (gw->sig_fd >= 0)
		close(gw->sig_fd);
	if (gw->tun_fd >= 0)
		close(gw->tun_fd);
	ev_loop_free(gw->loop);
	free(gw->ka);
	gw_conf_free(gw->conf);
	free(gw);
}

int gw_drop_privileges(struct gw *gw)
{
	const char *user = gw->conf->user;
	struct passwd *pw;

	if (user[0] == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_err("gw", "user %s: not found", user);
		return BW_ERR_CONFIG;
	}
	/* The control socket stays reachable by its new owner. */
	if (gw->ctl_fd >= 0 && chown(gw->conf->ctl_socket, pw->pw_uid, pw->pw_gid) != 0)
		log_warn("gw", "chown %s: %s", gw->conf->ctl_socket, strerror(errno));
	/* IKE installs routes for the selectors it negotiates (rtnetlink), so with
	 * IKE connections CAP_NET_ADMIN, and only it, survives the drop. */
	if (gw->conf->n_conn > 0 && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0) {
		log_err("gw", "PR_SET_KEEPCAPS: %s", strerror(errno));
		return BW_ERR_IO;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		log_err("gw", "dropping privileges to %s: %s", user, strerror(errno));
		return BW_ERR_IO;
	}
	if (setuid(0) == 0) {
		log_err("gw", "privileges could be regained after dropping them");
		return BW_ERR_IO;
	}
	if (gw->conf->n_conn > 0) {
		struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
		struct __user_cap_data_struct data[2];

		memset(data, 0, sizeof(data));
		data[0].effective = data[0].permitted = 1u << CAP_NET_ADMIN;
		if (syscall(SYS_capset, &hdr, data) != 0) {
			log_err("gw", "keeping CAP_NET_ADMIN: %s", strerror(errno));
			return BW_ERR_IO;
		}
		prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	}
	log_info("gw", "running as user %s%s", user,
	         gw->conf->n_conn > 0 ? " with CAP_NET_ADMIN (routes for IKE)" : "");
	return 0;
}

int gw_run(struct gw *gw)
{
	int r;

	if ((r = gw_esp_start(gw->esp)) != 0)
		return r;
	log_notice("gw", "bulwark running: %zu manual tunnel(s), %zu IKE connection(s)",
	           gw->conf->n_manual, gw->conf->n_conn);
	gw_ike_start(gw->ike);
	r = ev_loop_run(gw->loop);
	/* Tell IKE peers we are going (best effort: no answer is awaited). */
	gw_ike_terminate(gw->ike, NULL);
	gw_esp_stop(gw->esp);
	gw_esp_status(gw->esp, stderr);
	return r;
}
