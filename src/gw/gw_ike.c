/* SPDX-License-Identifier: ISC */
/* IKE sockets, timers and CHILD_SA installation for the gateway; see gw_ike.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw/gw_ike.h"
#include "gw/gw_tun.h"
#include "ike/ike.h"
#include "lib/err.h"
#include "lib/log.h"

enum { IKE_BUF = 65536 };

struct gw_ike {
	const struct gw_conf *conf;
	struct ev_loop *loop;
	struct gw_esp *esp;
	struct ike *ike;
	int tun_ifindex;
	int fd4, fd6; /* UDP ike_port */
	int natt_fd;  /* from the ESP inbound thread */
	struct ev_timer timer;
	uint8_t buf[IKE_BUF];
};

/*
 * IKE timers run on a tick of at most TICK_MS while any SA exists, so a
 * datagram never costs a walk over every SA to find the next deadline
 * (retransmissions are a second or more away; a quarter second of slack is
 * harmless).
 */
enum { TICK_MS = 250 };

static void rearm(struct gw_ike *gi)
{
	uint64_t now = ev_now_ms();
	int64_t d;

	if (ev_timer_armed(&gi->timer) && gi->timer.when <= now + TICK_MS)
		return;
	if ((d = ike_next_timer(gi->ike, now)) < 0) {
		ev_timer_cancel(gi->loop, &gi->timer);
		return;
	}
	ev_timer_arm(gi->loop, &gi->timer, now + (uint64_t)(d < TICK_MS ? d : TICK_MS));
}

static void on_timer(void *arg, uint64_t now)
{
	struct gw_ike *gi = arg;

	ike_timers(gi->ike, now);
	rearm(gi); /* the timer is no longer armed here, so this finds the next deadline */
}

static int ike_send(void *arg, const struct bw_addr *src, const struct bw_addr *dst, bool natt,
                    const uint8_t *msg, size_t len)
{
	struct gw_ike *gi = arg;
	struct sockaddr_storage ss;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)msg, .iov_len = len};
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cb;
	struct msghdr mh = {.msg_name = &ss, .msg_iov = &iov, .msg_iovlen = 1};
	static const uint8_t zero[16];
	int fd = dst->family == AF_INET ? gi->fd4 : gi->fd6;

	if (natt)
		return gw_esp_send_ike(gi->esp, src, dst, msg, len);
	if (fd < 0)
		return BW_ERR_NOTFOUND;
	mh.msg_namelen = bw_addr_to_sa(dst, &ss);
	/* Answer from the address the peer talked to (IP_PKTINFO / IPV6_PKTINFO). */
	if (memcmp(src->a, zero, bw_addr_len(src)) != 0) {
		struct cmsghdr *c;

		memset(&cb, 0, sizeof(cb));
		mh.msg_control = cb.buf;
		if (dst->family == AF_INET) {
			struct in_pktinfo pi = {0};

			memcpy(&pi.ipi_spec_dst, src->a, 4);
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		} else {
			struct in6_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi6_addr, src->a, 16);
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
	}
	return sendmsg(fd, &mh, 0) == (ssize_t)len ? 0 : BW_ERR_IO;
}

static int child_add(void *arg, const struct ike_child_sa *c, uint32_t *handle)
{
	struct gw_ike *gi = arg;
	int r;

	if ((r = gw_esp_child_add(gi->esp, c->name, &c->out, &c->in, c->ts, c->n_ts, handle)) != 0)
		return r;
	/* Tunnel mode: the remote selectors are reached through the TUN device. */
	if (c->out.mode == ESP_MODE_TUNNEL)
		for (size_t i = 0; i < c->n_ts; i++)
			gw_nl_route_add(gi->tun_ifindex, &c->ts[i].remote, c->ts[i].remote_plen);
	return 0;
}

static int vip_add(void *arg, const struct bw_addr *vip)
{
	struct gw_ike *gi = arg;

	/* The assigned address goes on the TUN device so traffic leaves from it. */
	return gw_nl_addr_add(gi->tun_ifindex, vip, (uint8_t)(bw_addr_len(vip) * 8));
}

static void child_del(void *arg, uint32_t handle)
{
	struct gw_ike *gi = arg;

	gw_esp_child_del(gi->esp, handle);
}

static void on_udp(int fd, unsigned events, void *arg)
{
	struct gw_ike *gi = arg;
	struct sockaddr_storage ss;
	union {
		struct cmsghdr align;
		uint8_t buf[256];
	} cb;
	struct iovec iov = {.iov_base = gi->buf, .iov_len = sizeof(gi->buf)};
	struct msghdr mh = {.msg_name = &ss,
	                    .msg_namelen = sizeof(ss),
	                    .msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cb.buf,
	                    .msg_controllen = sizeof(cb.buf)};
	struct bw_addr src, dst;
	ssize_t n;

	(void)events;
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n <= 0 || bw_addr_from_sa(&src, (struct sockaddr *)&ss) != 0)
		return;
	memset(&dst, 0, sizeof(dst));
	dst.family = src.family;
	dst.port = gi->conf->ike_port;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(dst.a, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(dst.a, &pi.ipi6_addr, 16);
		}
	}
	ike_input(gi->ike, &src, &dst, false, gi->buf, (size_t)n, ev_now_ms());
	rearm(gi);
}

static void on_natt(int fd, unsigned events, void *arg)
{
	struct gw_ike *gi = arg;
	struct gw_ike_dgram h;
	ssize_t n;

	(void)events;
	while ((n = recv(fd, gi->buf, sizeof(gi->buf), MSG_DONTWAIT)) > 0) {
		if ((size_t)n < sizeof(h))
			continue;
		memcpy(&h, gi->buf, sizeof(h));
		h.dst.port = gi->conf->esp_udp_port;
		ike_input(gi->ike, &h.src, &h.dst, true, gi->buf + sizeof(h), (size_t)n - sizeof(h),
		          ev_now_ms());
	}
	rearm(gi);
}

static int open_udp(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	struct bw_addr any = {.family = (uint8_t)family, .port = port};
	socklen_t sl = bw_addr_to_sa(&any, &ss);
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), on = 1;

	if (fd < 0)
		return -1;
	if (family == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		log_err("ike", "bind UDP port %u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int gw_ike_new(struct gw_ike **out, const struct gw_conf *conf, struct ev_loop *loop,
               struct gw_esp *esp, int tun_ifindex)
{
	static const struct ike_ops ops = {
	        .send = ike_send,
	        .child_add = child_add,
	        .child_del = child_del,
	        .vip_add = vip_add,
	};
	struct gw_ike *gi;
	int r;

	*out = NULL;
	if (conf->n_conn == 0 || conf->ike_port == 0)
		return 0;
	if ((gi = calloc(1, sizeof(*gi))) == NULL)
		return BW_ERR_NOMEM;
	gi->conf = conf;
	gi->loop = loop;
	gi->esp = esp;
	gi->tun_ifindex = tun_ifindex;
	gi->fd4 = gi->fd6 = -1;
	ev_timer_init(&gi->timer, on_timer, gi);
	if ((r = ike_new(&gi->ike, conf->conn, conf->n_conn, &ops, gi)) != 0)
		goto fail;
	ike_set_log_keys(gi->ike, conf->ike_log_keys);
	ike_set_retransmit(gi->ike, conf->ike_retrans_tries, conf->ike_retrans_ms);
	r = BW_ERR_IO;
	if ((gi->fd4 = open_udp(AF_INET, conf->ike_port)) < 0)
		goto fail;
	gi->fd6 = open_udp(AF_INET6, conf->ike_port); /* optional: hosts without IPv6 */
	gi->natt_fd = gw_esp_ike_fd(esp);
	if ((r = ev_io_add(loop, gi->fd4, EV_READ, on_udp, gi)) != 0 ||
	    (gi->fd6 >= 0 && (r = ev_io_add(loop, gi->fd6, EV_READ, on_udp, gi)) != 0) ||
	    (r = ev_io_add(loop, gi->natt_fd, EV_READ, on_natt, gi)) != 0)
		goto fail;
	log_info("ike", "listening on UDP %u (NAT-T %u), %zu connection(s)", conf->ike_port,
	         conf->esp_udp_port, conf->n_conn);
	*out = gi;
	return 0;
fail:
	gw_ike_free(gi);
	return r;
}

void gw_ike_free(struct gw_ike *gi)
{
	if (gi == NULL)
		return;
	ev_timer_cancel(gi->loop, &gi->timer);
	if (gi->fd4 >= 0) {
		ev_io_del(gi->loop, gi->fd4);
		close(gi->fd4);
	}
	if (gi->fd6 >= 0) {
		ev_io_del(gi->loop, gi->fd6);
		close(gi->fd6);
	}
	ev_io_del(gi->loop, gi->natt_fd);
	ike_free(gi->ike);
	free(gi);
}

void gw_ike_start(struct gw_ike *gi)
{
	if (gi == NULL)
		return;
	ike_initiate(gi->ike, NULL, ev_now_ms());
	rearm(gi);
}

int gw_ike_initiate(struct gw_ike *gi, const char *conn)
{
	int r;

	if (gi == NULL)
		return BW_ERR_NOTFOUND;
	r = ike_initiate(gi->ike, conn, ev_now_ms());
	rearm(gi);
	return r;
}

int gw_ike_terminate(struct gw_ike *gi, const char *conn)
{
	int r;

	if (gi == NULL)
		return BW_ERR_NOTFOUND;
	r = ike_terminate(gi->ike, conn, ev_now_ms());
	rearm(gi);
	return r;
}

void gw_ike_status(const struct gw_ike *gi, FILE *f)
{
	if (gi != NULL)
		ike_status(gi->ike, f, ev_now_ms());
}
