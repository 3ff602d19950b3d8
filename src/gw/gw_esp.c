/* SPDX-License-Identifier: ISC */
/*
 * ESP data plane threads: TUN <-> ESP over raw IP protocol 50 (RFC 4303)
 * or UDP encapsulation (RFC 3948). See gw_esp.h for the threading model.
 *
 * Outer headers: the kernel builds the outer IP (and UDP) header because
 * the raw sockets are not IP_HDRINCL; the source address is set per packet
 * with IP_PKTINFO/IPV6_PKTINFO so it is the SA's local address. On receive,
 * IPv4 raw sockets deliver the IP header (parsed here with the bounded
 * reader); IPv6 raw sockets do not, so the destination comes from
 * IPV6_PKTINFO.
 *
 * Transport mode: outbound, the inner IP header from TUN is dropped and its
 * protocol becomes ESP's next header; inbound, a fresh IP header is built
 * from the outer addresses before the payload goes to TUN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gw/gw_esp.h"
#include "gw/gw_offload.h"
#include "gw/gw_sa.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/pkt.h"
#include "lib/rd.h"

enum {
	BATCH = 64,            /* packets per recvmmsg */
	TX_BATCH = 160,        /* packets per sendmmsg: room for a TSO split of the smallest MSS */
	GSO_SEGS_MAX = 64,     /* UDP_SEGMENT: datagrams per send (UDP_MAX_SEGMENTS) */
	GSO_BYTES_MAX = 65000, /* and bytes per send, under the 64 KiB UDP length */
	SOCK_BUF = 4 << 20,    /* socket buffers: a burst of ESP must not overflow them */
	CMSG_SPACE_MAX = 64,
};

enum outer_sock {
	SOCK_RAW4,
	SOCK_RAW6,
	SOCK_UDP4,
	SOCK_UDP6,
	SOCK__MAX,
};

struct gw_esp {
	const struct gw_conf *conf;
	int tun_fd;
	bool vnet;    /* TUN frames carry a virtio net header */
	bool udp_gso; /* the kernel takes UDP_SEGMENT sends */
	int fd[SOCK__MAX];
	int stop_fd;        /* eventfd: wakes both threads to exit */
	int ike_fd[2];      /* IKE from UDP 4500: inbound thread writes [1], control reads [0] */
	struct gw_sadb *db; /* CHILD_SA pairs; written by the control thread only */
	pthread_t tx_thread, rx_thread;
	bool started;
	atomic_bool stopping;
	/* Counters: TX ones written only by the TX thread, RX ones by the RX thread. */
	uint64_t ctr[GW_CTR__MAX];
	uint64_t last_send_errno;
};

/* clang-format off */
static const char *const ctr_name[GW_CTR__MAX] = {
	[GW_CTR_TUN_RX] = "tun_rx",
	[GW_CTR_TUN_TX] = "tun_tx",
	[GW_CTR_NO_POLICY] = "no_policy",
	[GW_CTR_BAD_INNER] = "bad_inner",
	[GW_CTR_OUTER_RX] = "esp_rx",
	[GW_CTR_OUTER_TX] = "esp_tx",
	[GW_CTR_SEND_FAIL] = "send_fail",
	[GW_CTR_TUN_WRITE_FAIL] = "tun_write_fail",
	[GW_CTR_BAD_OUTER] = "bad_outer",
	[GW_CTR_NO_SA] = "no_sa",
	[GW_CTR_KEEPALIVE] = "nat_keepalive",
	[GW_CTR_NON_ESP] = "non_esp",
	[GW_CTR_NOBUF] = "no_buffer",
	[GW_CTR_IN_POLICY] = "inbound_policy",
	[GW_CTR_TSO_SUPER] = "tso_split",
	[GW_CTR_GRO_SUPER] = "gro_merged",
	[GW_CTR_BAD_OFFLOAD] = "bad_offload",
	[GW_CTR_KEEPALIVE_TX] = "nat_keepalive_tx",
	[GW_CTR_IKE_DROP] = "ike_queue_full",
};
/* clang-format on */

static int open_sock(int family, int type, int proto, const struct gw_conf *conf, uint16_t port)
{
	int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
	int on = 1, sz = SOCK_BUF;

	if (fd < 0) {
		log_err("esp", "socket(%s, %s): %s", family == AF_INET ? "inet" : "inet6",
		        type == SOCK_RAW ? "raw esp" : "udp", strerror(errno));
		return -1;
	}
	/* FORCE variants pass net.core.[rw]mem_max, which a namespace cannot raise. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (conf->fwmark != 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_MARK, &conf->fwmark, sizeof(conf->fwmark)) != 0)
		log_warn("esp", "SO_MARK: %s", strerror(errno));
	if (family == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	}
	if (type == SOCK_DGRAM) {
		struct sockaddr_storage ss;
		struct bw_addr any = {.family = (uint8_t)family, .port = port};
		socklen_t sl = bw_addr_to_sa(&any, &ss);

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
			log_err("esp", "bind udp port %u: %s", port, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

static bool need_family(const struct gw_conf *conf, int family, bool udp)
{
	for (size_t i = 0; i < conf->n_manual; i++)
		if (conf->manual[i].remote.family == family && conf->manual[i].udp_encap == udp)
			return true;
	return false;
}

int gw_esp_child_add(struct gw_esp *e, const char *name, const struct esp_sa_cfg *out,
                     const struct esp_sa_cfg *in, const struct esp_ts *ts, size_t n_ts,
                     uint32_t *id)
{
	int r = gw_sadb_add(e->db, name, out, in, ts, n_ts, id);

	if (r != 0)
		log_err_r("esp", r, "tunnel=%s: cannot install SPIs out=0x%08x in=0x%08x", name,
		          out->spi, in->spi);
	else
		log_info("esp", "tunnel=%s: installed SPIs out=0x%08x in=0x%08x", name, out->spi,
		         in->spi);
	return r;
}

int gw_esp_child_del(struct gw_esp *e, uint32_t id)
{
	return gw_sadb_del(e->db, id);
}

void gw_esp_reclaim(struct gw_esp *e)
{
	gw_sadb_reclaim(e->db);
}

int gw_esp_new(struct gw_esp **out, const struct gw_conf *conf, int tun_fd, bool vnet)
{
	struct gw_esp *e;
	int r = BW_ERR_NOMEM;

	*out = NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return BW_ERR_NOMEM;
	e->conf = conf;
	e->tun_fd = tun_fd;
	e->vnet = vnet;
	for (int i = 0; i < SOCK__MAX; i++)
		e->fd[i] = -1;
	e->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	e->ike_fd[0] = e->ike_fd[1] = -1;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, e->ike_fd) != 0)
		goto fail;
	e->db = gw_sadb_new();
	if (e->stop_fd < 0 || e->db == NULL)
		goto fail;
	for (size_t i = 0; i < conf->n_manual; i++) {
		const struct gw_conf_manual *m = &conf->manual[i];

		if ((r = gw_esp_child_add(e, m->name, &m->out, &m->in, m->ts, m->n_ts, NULL)) != 0)
			goto fail;
	}

	r = BW_ERR_IO;
	/* Raw ESP sockets for each family a tunnel uses (or both when none is declared). */
	if (conf->esp_raw) {
		if (need_family(conf, AF_INET, false) || conf->n_manual == 0)
			if ((e->fd[SOCK_RAW4] =
			             open_sock(AF_INET, SOCK_RAW, IPPROTO_ESP, conf, 0)) < 0)
				goto fail;
		if (need_family(conf, AF_INET6, false))
			if ((e->fd[SOCK_RAW6] =
			             open_sock(AF_INET6, SOCK_RAW, IPPROTO_ESP, conf, 0)) < 0)
				goto fail;
	}
	if (conf->esp_udp_port != 0) {
		if ((e->fd[SOCK_UDP4] =
		             open_sock(AF_INET, SOCK_DGRAM, 0, conf, conf->esp_udp_port)) < 0)
			goto fail;
		if (need_family(conf, AF_INET6, true) &&
		    (e->fd[SOCK_UDP6] =
		             open_sock(AF_INET6, SOCK_DGRAM, 0, conf, conf->esp_udp_port)) < 0)
			goto fail;
	}
	/* UDP_SEGMENT (Linux 4.18): probe once, on whichever UDP socket exists. */
	for (int k = SOCK_UDP4; k <= SOCK_UDP6; k++) {
		int v;
		socklen_t vl = sizeof(v);

		if (e->fd[k] >= 0 && getsockopt(e->fd[k], SOL_UDP, UDP_SEGMENT, &v, &vl) == 0)
			e->udp_gso = true;
	}
	*out = e;
	return 0;
fail:
	gw_esp_free(e);
	return r;
}

void gw_esp_free(struct gw_esp *e)
{
	if (e == NULL)
		return;
	gw_esp_stop(e);
	for (int i = 0; i < SOCK__MAX; i++)
		if (e->fd[i] >= 0)
			close(e->fd[i]);
	if (e->stop_fd >= 0)
		close(e->stop_fd);
	for (int i = 0; i < 2; i++)
		if (e->ike_fd[i] >= 0)
			close(e->ike_fd[i]);
	gw_sadb_free(e->db);
	free(e);
}

/* ---- outbound: TUN -> ESP ------------------------------------------------ */

struct tx_batch {
	struct mmsghdr msg[TX_BATCH];
	struct iovec iov[TX_BATCH];
	struct sockaddr_storage dst[TX_BATCH];
	uint8_t cmsg[TX_BATCH][CMSG_SPACE_MAX];
	struct pkt *pkt[TX_BATCH];
	size_t n;
	const struct gw_sa_table *tbl;                   /* entered for this batch */
	uint8_t gso_cmsg[TX_BATCH][CMSG_SPACE_MAX + 16]; /* pktinfo + UDP_SEGMENT */
	uint8_t big[GW_GSO_MAX + 64]; /* a TSO super-packet that does not fit a pkt */
};

/* Transport mode: strip the inner IP header, return its protocol in *nh. */
static int strip_ip_header(struct pkt *p, uint8_t *nh)
{
	struct bw_rd rd;
	uint8_t v;
	size_t hl;

	bw_rd_init(&rd, pkt_data(p), p->len);
	if (bw_rd_peek_u8(&rd, &v) != 0)
		return BW_ERR_SHORT;
	if (v >> 4 == 4) {
		hl = (size_t)(v & 0x0f) * 4;
		if (hl < 20 || hl > p->len)
			return BW_ERR_INVAL;
		*nh = pkt_data(p)[9];
	} else if (v >> 4 == 6) {
		hl = 40;
		if (hl > p->len)
			return BW_ERR_SHORT;
		/* Extension headers would have to stay before ESP (RFC 4303 3.1.1); not handled. */
		*nh = pkt_data(p)[6];
		if (*nh == 0 || *nh == 43 || *nh == 44 || *nh == 60)
			return BW_ERR_UNSUPP;
	} else {
		return BW_ERR_INVAL;
	}
	pkt_pull(p, hl);
	return 0;
}

static void set_pktinfo(struct msghdr *mh, uint8_t *buf, const struct bw_addr *src)
{
	struct cmsghdr *c;

	mh->msg_control = buf;
	if (src->family == AF_INET) {
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi_spec_dst, src->a, 4);
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi6_addr, src->a, 16);
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
}

/* Sends msgs[0..n) with sendmmsg; counts (segs[i] packets per message). */
static void send_msgs(struct gw_esp *e, int fd, struct mmsghdr *msgs, const uint16_t *segs,
                      size_t n)
{
	size_t done = 0;

	while (done < n) {
		int r = sendmmsg(fd, msgs + done, (unsigned)(n - done), 0);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			/* The first message failed (unreachable, no buffer): count it, go on. */
			e->last_send_errno = (uint64_t)errno;
			if (segs[done] > 1 && errno == EIO && e->udp_gso) {
				/* The route's device cannot segment: send runs one by one from now
				 * on. */
				log_warn("esp", "UDP segmentation offload refused; sending "
				                "datagrams singly");
				e->udp_gso = false;
			}
			e->ctr[GW_CTR_SEND_FAIL] += segs[done];
			done++;
			continue;
		}
		for (int i = 0; i < r; i++)
			e->ctr[GW_CTR_OUTER_TX] += segs[done + (size_t)i];
		done += (size_t)r;
	}
}

/* Can packet j join the UDP GSO run that starts at packet i (RFC-free: UDP_SEGMENT)? */
static bool gso_joins(const struct tx_batch *b, size_t i, size_t j, size_t count, size_t bytes)
{
	const struct msghdr *x = &b->msg[i].msg_hdr, *y = &b->msg[j].msg_hdr;

	/* Every datagram but the last must be exactly gso_size long. */
	if (count >= GSO_SEGS_MAX || bytes + b->pkt[j]->len > GSO_BYTES_MAX ||
	    b->pkt[j - 1]->len != b->pkt[i]->len || b->pkt[j]->len > b->pkt[i]->len)
		return false;
	return x->msg_namelen == y->msg_namelen &&
	       memcmp(x->msg_name, y->msg_name, x->msg_namelen) == 0 &&
	       x->msg_controllen == y->msg_controllen &&
	       memcmp(x->msg_control, y->msg_control, x->msg_controllen) == 0;
}

/*
 * Sends one socket's share of a batch. On UDP sockets, runs of equal-sized
 * datagrams to the same peer (the segments of one TSO split) go as one
 * UDP_SEGMENT send: one trip through the kernel's stack for up to 64
 * datagrams. Raw ESP has no such offload and goes a message per packet.
 */
static void tx_flush_sock(struct gw_esp *e, struct tx_batch *b, int s, size_t *idx, size_t n)
{
	struct mmsghdr msgs[TX_BATCH];
	uint16_t segs[TX_BATCH];
	size_t m = 0;
	bool gso = (s == SOCK_UDP4 || s == SOCK_UDP6) && e->udp_gso;

	for (size_t k = 0; k < n; m++) {
		size_t i = idx[k], run = 1, bytes = b->pkt[i]->len;
		struct msghdr *mh;

		while (gso && k + run < n && idx[k + run] == idx[k] + run &&
		       gso_joins(b, i, i + run, run, bytes)) {
			bytes += b->pkt[i + run]->len;
			run++;
		}
		msgs[m] = b->msg[i];
		segs[m] = (uint16_t)run;
		k += run;
		if (run == 1)
			continue;
		/* The iovecs of a run are consecutive in b->iov: gather them in one message. */
		mh = &msgs[m].msg_hdr;
		mh->msg_iovlen = run;
		memcpy(b->gso_cmsg[m], mh->msg_control, mh->msg_controllen);
		mh->msg_control = b->gso_cmsg[m];
		{
			struct cmsghdr *c =
			        (struct cmsghdr *)(void *)(b->gso_cmsg[m] + mh->msg_controllen);
			uint16_t size = (uint16_t)b->pkt[i]->len;

			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(size));
			memcpy(CMSG_DATA(c), &size, sizeof(size));
			mh->msg_controllen += CMSG_SPACE(sizeof(size));
		}
	}
	send_msgs(e, e->fd[s], msgs, segs, m);
}

static void tx_flush(struct gw_esp *e, struct tx_batch *b)
{
	size_t idx[SOCK__MAX][TX_BATCH], n[SOCK__MAX] = {0};

	/* Group by socket so each socket gets one sendmmsg per batch. */
	for (size_t i = 0; i < b->n; i++) {
		int s = (int)b->pkt[i]->flags;

		idx[s][n[s]++] = i;
	}
	for (int s = 0; s < SOCK__MAX; s++)
		if (n[s] > 0)
			tx_flush_sock(e, b, s, idx[s], n[s]);
	for (size_t i = 0; i < b->n; i++)
		pkt_free(b->pkt[i]);
	b->n = 0;
}

static void tx_one(struct gw_esp *e, struct tx_batch *b, struct pkt *p)
{
	const uint8_t *ip = pkt_data(p);
	struct esp_sa *sa = esp_spd_out(b->tbl->spd, ip, p->len);
	const struct esp_sa_cfg *cfg;
	uint8_t nh;
	int sock;
	size_t i;

	if (sa == NULL) {
		e->ctr[GW_CTR_NO_POLICY]++;
		pkt_free(p);
		return;
	}
	cfg = esp_sa_cfg(sa);
	if (cfg->mode == ESP_MODE_TRANSPORT) {
		if (strip_ip_header(p, &nh) != 0) {
			e->ctr[GW_CTR_BAD_INNER]++;
			pkt_free(p);
			return;
		}
	} else {
		nh = (ip[0] >> 4) == 6 ? ESP_NH_IPV6 : ESP_NH_IPV4;
	}
	if (esp_encap(sa, p, nh) != 0) {
		pkt_free(p); /* counted in the SA's drops */
		return;
	}
	if (cfg->udp_encap)
		sock = cfg->remote.family == AF_INET ? SOCK_UDP4 : SOCK_UDP6;
	else
		sock = cfg->remote.family == AF_INET ? SOCK_RAW4 : SOCK_RAW6;
	if (e->fd[sock] < 0) {
		e->ctr[GW_CTR_SEND_FAIL]++;
		pkt_free(p);
		return;
	}
	i = b->n++;
	p->flags = (uint32_t)sock;
	b->pkt[i] = p;
	b->iov[i].iov_base = pkt_data(p);
	b->iov[i].iov_len = p->len;
	memset(&b->msg[i], 0, sizeof(b->msg[i]));
	b->msg[i].msg_hdr.msg_iov = &b->iov[i];
	b->msg[i].msg_hdr.msg_iovlen = 1;
	{
		struct bw_addr dst = cfg->remote;

		/* Raw sockets take no port; UDP goes to the peer's encapsulation port. */
		if (!cfg->udp_encap)
			dst.port = 0;
		b->msg[i].msg_hdr.msg_name = &b->dst[i];
		b->msg[i].msg_hdr.msg_namelen = bw_addr_to_sa(&dst, &b->dst[i]);
	}
	set_pktinfo(&b->msg[i].msg_hdr, b->cmsg[i], &cfg->local);
}

/*
 * Reads one frame from TUN into p (and b->big when it is a super-packet
 * larger than p) and queues what it carries. Returns false when TUN is empty.
 */
static bool tx_read(struct gw_esp *e, struct tx_batch *b, struct pkt *p)
{
	uint8_t vh_raw[GW_VNET_HDR_LEN];
	size_t room = pkt_tailroom(p) - 64; /* ESP's pad, trailer and ICV */
	struct iovec iov[3] = {
	        {.iov_base = vh_raw, .iov_len = sizeof(vh_raw)},
	        {.iov_base = pkt_data(p), .iov_len = room},
	        {.iov_base = b->big + room, .iov_len = sizeof(b->big) - room},
	};
	struct gw_vnet_hdr vh;
	struct pkt *segs[TX_BATCH];
	const uint8_t *ip;
	size_t len, nseg;
	ssize_t n;
	int r;

	if (!e->vnet) {
		n = read(e->tun_fd, pkt_data(p), room);
		if (n <= 0) {
			pkt_free(p);
			return false;
		}
		p->len = (uint32_t)n;
		e->ctr[GW_CTR_TUN_RX]++;
		tx_one(e, b, p);
		return true;
	}
	n = readv(e->tun_fd, iov, 3);
	if (n <= 0) {
		pkt_free(p);
		return false;
	}
	e->ctr[GW_CTR_TUN_RX]++;
	if (gw_vnet_hdr_parse(vh_raw, (size_t)n, &vh) != 0) {
		e->ctr[GW_CTR_BAD_OFFLOAD]++;
		pkt_free(p);
		return true;
	}
	len = (size_t)n - GW_VNET_HDR_LEN;
	if ((vh.gso_type & (uint8_t)~GW_VNET_GSO_ECN) == GW_VNET_GSO_NONE) {
		if (len > room || gw_csum_complete(&vh, pkt_data(p), len) != 0) {
			e->ctr[GW_CTR_BAD_OFFLOAD]++;
			pkt_free(p);
			return true;
		}
		p->len = (uint32_t)len;
		tx_one(e, b, p);
		return true;
	}
	/* A TSO super-packet: make it contiguous, then cut it into MSS-sized segments. */
	if (len > room) {
		memcpy(b->big, pkt_data(p), room);
		ip = b->big;
	} else {
		ip = pkt_data(p);
	}
	r = gw_tso_split(&vh, ip, len, p->pool, segs, TX_BATCH - b->n, &nseg);
	if (r == BW_ERR_LIMIT) {
		tx_flush(e, b);
		r = gw_tso_split(&vh, ip, len, p->pool, segs, TX_BATCH, &nseg);
	}
	pkt_free(p);
	if (r != 0) {
		e->ctr[r == BW_ERR_NOMEM ? GW_CTR_NOBUF : GW_CTR_BAD_OFFLOAD]++;
		return true;
	}
	e->ctr[GW_CTR_TSO_SUPER]++;
	for (size_t i = 0; i < nseg; i++)
		tx_one(e, b, segs[i]);
	return true;
}

static void *tx_main(void *arg)
{
	struct gw_esp *e = arg;
	struct pkt_pool *pool = pkt_pool_new(TX_BATCH * 2, TX_BATCH * 4);
	struct tx_batch *b = calloc(1, sizeof(*b));
	struct pollfd pfd[2] = {{.fd = e->tun_fd, .events = POLLIN},
	                        {.fd = e->stop_fd, .events = POLLIN}};

	if (pool == NULL || b == NULL) {
		log_err("esp", "outbound thread: out of memory");
		goto out;
	}
	while (!atomic_load_explicit(&e->stopping, memory_order_relaxed)) {
		gw_sadb_quiesce(e->db, GW_SA_READER_TX);
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		b->tbl = gw_sadb_enter(e->db, GW_SA_READER_TX);
		/* Drain TUN while a batch has room for a full split, then send together. */
		while (b->n + 48 <= TX_BATCH) {
			struct pkt *p = pkt_alloc(pool);

			if (p == NULL) {
				e->ctr[GW_CTR_NOBUF]++;
				break;
			}
			if (!tx_read(e, b, p))
				break;
		}
		if (b->n > 0)
			tx_flush(e, b);
	}
out:
	free(b);
	pkt_pool_free(pool);
	return NULL;
}

/* ---- inbound: ESP -> TUN ------------------------------------------------- */

struct rx_batch {
	struct gw_gro gro;             /* coalesces the batch's TCP segments for TUN */
	const struct gw_sa_table *tbl; /* entered for this batch */
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage src[BATCH];
	uint8_t cmsg[BATCH][CMSG_SPACE_MAX];
	struct pkt *pkt[BATCH];
};

/* Transport mode, inbound: rebuild an IP header in front of the payload. */
static int add_ip_header(struct pkt *p, uint8_t nh, const struct bw_addr *src,
                         const struct bw_addr *dst)
{
	uint8_t *h;
	size_t plen = p->len;

	if (src->family == AF_INET) {
		if (plen + 20 > 0xffff || (h = pkt_push(p, 20)) == NULL)
			return BW_ERR_NOSPACE;
		memset(h, 0, 20);
		h[0] = 0x45;
		bw_put_be16(h + 2, (uint16_t)(plen + 20));
		h[8] = 64;
		h[9] = nh;
		memcpy(h + 12, src->a, 4);
		memcpy(h + 16, dst->a, 4);
		bw_put_be16(h + 10, gw_csum_fold(gw_csum_add(0, h, 20)));
		return 0;
	}
	if (plen > 0xffff || (h = pkt_push(p, 40)) == NULL)
		return BW_ERR_NOSPACE;
	memset(h, 0, 40);
	h[0] = 0x60;
	bw_put_be16(h + 4, (uint16_t)plen);
	h[6] = nh;
	h[7] = 64;
	memcpy(h + 8, src->a, 16);
	memcpy(h + 24, dst->a, 16);
	return 0;
}

/* Fills p->src/p->dst from the outer headers and leaves p at the ESP header. */
static int rx_outer(struct gw_esp *e, int sock, struct pkt *p, struct msghdr *mh)
{
	struct cmsghdr *c;

	if (bw_addr_from_sa(&p->src, mh->msg_name) != 0)
		return BW_ERR_INVAL;
	if (sock == SOCK_RAW4) {
		/* IPv4 raw sockets deliver the IP header: take the destination, skip it. */
		struct bw_rd rd;
		uint8_t vihl;
		const uint8_t *hdr;
		size_t hl;

		bw_rd_init(&rd, pkt_data(p), p->len);
		if (bw_rd_peek_u8(&rd, &vihl) != 0 || vihl >> 4 != 4)
			return BW_ERR_INVAL;
		hl = (size_t)(vihl & 0x0f) * 4;
		if (hl < 20 || bw_rd_ptr(&rd, &hdr, hl) != 0)
			return BW_ERR_SHORT;
		p->dst.family = AF_INET;
		memcpy(p->dst.a, hdr + 16, 4);
		pkt_pull(p, hl);
		return 0;
	}
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			p->dst.family = AF_INET;
			memcpy(p->dst.a, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			p->dst.family = AF_INET6;
			memcpy(p->dst.a, &pi.ipi6_addr, 16);
		}
	}
	(void)e;
	return p->dst.family != 0 ? 0 : BW_ERR_INVAL;
}

/*
 * RFC 3948 2.2: IKE on the NAT-T port carries a zero non-ESP marker. The
 * message goes to the control thread with its addresses in front (struct
 * gw_ike_dgram); the socket pair is non-blocking, so a slow control plane
 * costs IKE messages (counted), never data-plane time.
 */
static void rx_ike(struct gw_esp *e, struct pkt *p)
{
	struct gw_ike_dgram h;
	uint8_t *hp;

	e->ctr[GW_CTR_NON_ESP]++;
	if (e->ike_fd[1] < 0)
		return;
	memset(&h, 0, sizeof(h));
	h.src = p->src;
	h.dst = p->dst;
	pkt_pull(p, 4);
	if ((hp = pkt_push(p, sizeof(h))) == NULL)
		return;
	memcpy(hp, &h, sizeof(h));
	if (send(e->ike_fd[1], hp, p->len, MSG_DONTWAIT) < 0)
		e->ctr[GW_CTR_IKE_DROP]++;
}

static void tun_write(struct gw_esp *e, const void *buf, size_t len)
{
	if (write(e->tun_fd, buf, len) < 0)
		e->ctr[GW_CTR_TUN_WRITE_FAIL]++;
	else
		e->ctr[GW_CTR_TUN_TX]++;
}

static void rx_gro_flush(struct gw_esp *e, struct gw_gro *g)
{
	const uint8_t *buf;
	size_t len;

	if (g->len == 0)
		return;
	if (g->segs > 1)
		e->ctr[GW_CTR_GRO_SUPER]++;
	gw_gro_finish(g, &buf, &len);
	tun_write(e, buf, len);
	gw_gro_reset(g);
}

/* Hands an inner packet to the kernel, merged with its neighbours where it can be. */
static void rx_deliver(struct gw_esp *e, struct gw_gro *g, struct pkt *p)
{
	uint8_t *vh;

	if (!e->vnet) {
		tun_write(e, pkt_data(p), p->len);
		return;
	}
	if (gw_gro_add(g, pkt_data(p), p->len))
		return;
	if (g->len != 0) {
		rx_gro_flush(e, g);
		if (gw_gro_add(g, pkt_data(p), p->len))
			return;
	}
	/* Not mergeable: goes alone behind an empty virtio header. */
	if ((vh = pkt_push(p, GW_VNET_HDR_LEN)) == NULL) {
		e->ctr[GW_CTR_TUN_WRITE_FAIL]++;
		return;
	}
	memset(vh, 0, GW_VNET_HDR_LEN);
	tun_write(e, vh, p->len);
}

static void rx_one(struct gw_esp *e, struct rx_batch *b, int sock, struct pkt *p, struct msghdr *mh)
{
	struct esp_sa *sa;
	const struct esp_sa_cfg *cfg;
	enum esp_drop drop;
	uint32_t spi;
	uint8_t nh;
	int r;

	if (rx_outer(e, sock, p, mh) != 0) {
		e->ctr[GW_CTR_BAD_OUTER]++;
		return;
	}
	if (sock == SOCK_UDP4 || sock == SOCK_UDP6) {
		/* RFC 3948 2.2/2.3: a lone 0xff is a NAT-keepalive; SPI 0 marks IKE. */
		if (p->len == 1 && pkt_data(p)[0] == 0xff) {
			e->ctr[GW_CTR_KEEPALIVE]++;
			return;
		}
		if (p->len >= 4 && bw_be32(pkt_data(p)) == 0) {
			rx_ike(e, p);
			return;
		}
	}
	e->ctr[GW_CTR_OUTER_RX]++;
	if (esp_peek_spi(pkt_data(p), p->len, &spi) != 0) {
		e->ctr[GW_CTR_BAD_OUTER]++;
		return;
	}
	if ((sa = esp_sad_lookup(b->tbl->sad, spi)) == NULL) {
		e->ctr[GW_CTR_NO_SA]++;
		return;
	}
	if ((r = esp_decap(sa, p, &nh, &drop)) != 0)
		return; /* counted in the SA (TFC dummies included) */
	cfg = esp_sa_cfg(sa);
	if (cfg->mode == ESP_MODE_TRANSPORT) {
		if (add_ip_header(p, nh, &p->src, &p->dst) != 0) {
			e->ctr[GW_CTR_BAD_INNER]++;
			return;
		}
	} else if (!esp_spd_in_ok(b->tbl->spd, sa, pkt_data(p), p->len)) {
		/* RFC 4301 5.2: the inner header must match the SA's selectors. */
		e->ctr[GW_CTR_IN_POLICY]++;
		return;
	}
	rx_deliver(e, &b->gro, p);
}

static void rx_sock(struct gw_esp *e, int sock, struct pkt_pool *pool, struct rx_batch *b)
{
	unsigned n = 0;
	int got;

	for (; n < BATCH; n++) {
		struct pkt *p = pkt_alloc(pool);

		if (p == NULL)
			break;
		b->pkt[n] = p;
		/* Headroom stays free so transport mode can prepend the IP header. */
		b->iov[n].iov_base = pkt_data(p);
		b->iov[n].iov_len = pkt_tailroom(p);
		memset(&b->msg[n], 0, sizeof(b->msg[n]));
		b->msg[n].msg_hdr.msg_iov = &b->iov[n];
		b->msg[n].msg_hdr.msg_iovlen = 1;
		b->msg[n].msg_hdr.msg_name = &b->src[n];
		b->msg[n].msg_hdr.msg_namelen = sizeof(b->src[n]);
		b->msg[n].msg_hdr.msg_control = b->cmsg[n];
		b->msg[n].msg_hdr.msg_controllen = CMSG_SPACE_MAX;
	}
	if (n == 0) {
		e->ctr[GW_CTR_NOBUF]++;
		return;
	}
	got = recvmmsg(e->fd[sock], b->msg, n, MSG_DONTWAIT, NULL);
	for (int i = 0; i < got; i++) {
		struct pkt *p = b->pkt[i];

		p->len = b->msg[i].msg_len;
		if (b->msg[i].msg_hdr.msg_flags & MSG_TRUNC)
			e->ctr[GW_CTR_BAD_OUTER]++;
		else
			rx_one(e, b, sock, p, &b->msg[i].msg_hdr);
	}
	rx_gro_flush(e, &b->gro);
	for (unsigned i = 0; i < n; i++)
		pkt_free(b->pkt[i]);
}

static void *rx_main(void *arg)
{
	struct gw_esp *e = arg;
	struct pkt_pool *pool = pkt_pool_new(BATCH, BATCH * 2);
	struct rx_batch *b = malloc(sizeof(*b));
	struct pollfd pfd[SOCK__MAX + 1];
	int map[SOCK__MAX + 1];
	nfds_t n = 0;

	if (pool == NULL || b == NULL) {
		log_err("esp", "inbound thread: out of memory");
		goto out;
	}
	gw_gro_reset(&b->gro);
	for (int s = 0; s < SOCK__MAX; s++) {
		if (e->fd[s] < 0)
			continue;
		pfd[n] = (struct pollfd){.fd = e->fd[s], .events = POLLIN};
		map[n++] = s;
	}
	pfd[n] = (struct pollfd){.fd = e->stop_fd, .events = POLLIN};
	while (!atomic_load_explicit(&e->stopping, memory_order_relaxed)) {
		gw_sadb_quiesce(e->db, GW_SA_READER_RX);
		if (poll(pfd, n + 1, -1) < 0 && errno != EINTR)
			break;
		if (pfd[n].revents)
			break;
		b->tbl = gw_sadb_enter(e->db, GW_SA_READER_RX);
		for (nfds_t i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN)
				rx_sock(e, map[i], pool, b);
	}
out:
	free(b);
	pkt_pool_free(pool);
	return NULL;
}

int gw_esp_start(struct gw_esp *e)
{
	if (pthread_create(&e->tx_thread, NULL, tx_main, e) != 0)
		return BW_ERR_IO;
	if (pthread_create(&e->rx_thread, NULL, rx_main, e) != 0) {
		atomic_store(&e->stopping, true);
		eventfd_write(e->stop_fd, 1);
		pthread_join(e->tx_thread, NULL);
		return BW_ERR_IO;
	}
	e->started = true;
	return 0;
}

void gw_esp_stop(struct gw_esp *e)
{
	if (!e->started)
		return;
	atomic_store(&e->stopping, true);
	eventfd_write(e->stop_fd, 1);
	pthread_join(e->tx_thread, NULL);
	pthread_join(e->rx_thread, NULL);
	e->started = false;
}

static const char *encr_name(const struct esp_sa_cfg *c)
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
	static const char *const n[] = {"none", "hmac-sha256-128", "hmac-sha384-192",
	                                "hmac-sha512-256"};

	return (size_t)i < sizeof(n) / sizeof(n[0]) ? n[i] : "?";
}

int gw_esp_ike_fd(const struct gw_esp *e)
{
	return e->ike_fd[0];
}

int gw_esp_send_ike(struct gw_esp *e, const struct bw_addr *src, const struct bw_addr *dst,
                    const uint8_t *msg, size_t len)
{
	int fd = e->fd[dst->family == AF_INET ? SOCK_UDP4 : SOCK_UDP6];
	uint8_t marker[4] = {0}, cbuf[CMSG_SPACE_MAX];
	struct sockaddr_storage sa;
	struct iovec iov[2] = {{.iov_base = marker, .iov_len = 4},
	                       {.iov_base = (void *)(uintptr_t)msg, .iov_len = len}};
	struct msghdr mh = {.msg_name = &sa, .msg_iov = iov, .msg_iovlen = 2};

	if (fd < 0)
		return BW_ERR_NOTFOUND;
	mh.msg_namelen = bw_addr_to_sa(dst, &sa);
	set_pktinfo(&mh, cbuf, src);
	return sendmsg(fd, &mh, 0) == (ssize_t)(len + 4) ? 0 : BW_ERR_IO;
}

int gw_esp_send_keepalive(struct gw_esp *e, size_t idx)
{
	const struct gw_conf_manual *m = &e->conf->manual[idx];
	int fd = e->fd[m->remote.family == AF_INET ? SOCK_UDP4 : SOCK_UDP6];
	uint8_t ka = 0xff, cbuf[CMSG_SPACE_MAX];
	struct sockaddr_storage dst;
	struct iovec iov = {.iov_base = &ka, .iov_len = 1};
	struct msghdr mh = {.msg_name = &dst, .msg_iov = &iov, .msg_iovlen = 1};

	if (fd < 0 || !m->udp_encap)
		return BW_ERR_INVAL;
	mh.msg_namelen = bw_addr_to_sa(&m->remote, &dst);
	set_pktinfo(&mh, cbuf, &m->local);
	if (sendmsg(fd, &mh, 0) != 1)
		return BW_ERR_IO;
	e->ctr[GW_CTR_KEEPALIVE_TX]++;
	return 0;
}

/*
 * Status for the control socket. Counters are read while the data plane
 * threads write them; a report may be a packet behind, never torn (aligned
 * 64-bit loads on the platforms we build for).
 */
void gw_esp_status(const struct gw_esp *e, FILE *f)
{
	const struct gw_sa_table *tbl = gw_sadb_current(e->db);

	for (size_t t = 0; t < tbl->n; t++) {
		const struct gw_child *c = tbl->child[t];
		const struct esp_sa_cfg *m = esp_sa_cfg(c->out);
		char l[64], r[64];

		fprintf(f, "tunnel %s: %s %s %s -> %s, %s/%s%s\n", c->name,
		        m->mode == ESP_MODE_TUNNEL ? "tunnel" : "transport",
		        m->udp_encap ? "udp-encap" : "esp", bw_addr_str(&m->local, l, sizeof(l)),
		        bw_addr_str(&m->remote, r, sizeof(r)), encr_name(m), integ_name(m->integ),
		        m->esn ? " esn" : "");
		for (int d = 0; d < 2; d++) {
			const struct esp_sa *sa = d == 0 ? c->out : c->in;
			const struct esp_sa_stats *st = esp_sa_stats(sa);

			fprintf(f, "  %s spi=0x%08x packets=%llu bytes=%llu",
			        d == 0 ? "out" : "in ", esp_sa_spi(sa),
			        (unsigned long long)st->packets, (unsigned long long)st->bytes);
			if (d == 0)
				fprintf(f, " seq=%llu", (unsigned long long)esp_sa_seq(sa) - 1);
			for (int k = 0; k < ESP_DROP__MAX; k++)
				if (st->drops[k] != 0)
					fprintf(f, " %s=%llu", esp_drop_name((enum esp_drop)k),
					        (unsigned long long)st->drops[k]);
			fprintf(f, "\n");
		}
	}
	fprintf(f, "counters:");
	for (int k = 0; k < GW_CTR__MAX; k++)
		fprintf(f, " %s=%llu", ctr_name[k], (unsigned long long)e->ctr[k]);
	fprintf(f, "\n");
}
