/* SPDX-License-Identifier: ISC */
/*
 * TUN device set-up and rtnetlink requests (RTM_NEWLINK, RTM_NEWADDR,
 * RTM_NEWROUTE). Each request is sent with NLM_F_ACK and the kernel's
 * answer read back, so a failure reports the kernel's errno. EEXIST on an
 * address or route is not an error: restarting the daemon finds them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "gw/gw_tun.h"
#include "lib/err.h"
#include "lib/log.h"

static int tun_set(int fd, char *name, short flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) != 0)
		return -1;
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	return 0;
}

int gw_tun_open(char *name, bool offload, bool *vnet)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		log_err("gw", "open /dev/net/tun: %s", strerror(errno));
		return BW_ERR_IO;
	}
	*vnet = false;
	/* IFF_NO_PI: the kernel hands us bare IP packets; the version nibble tells v4/v6. */
	if (offload && tun_set(fd, name, IFF_TUN | IFF_NO_PI | IFF_VNET_HDR) == 0) {
		unsigned feat = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
		int hl = 10;

		if (ioctl(fd, TUNSETVNETHDRSZ, &hl) == 0 && ioctl(fd, TUNSETOFFLOAD, feat) == 0) {
			*vnet = true;
			return fd;
		}
		/* Without offloads the vnet header is overhead only: start over plain. */
		log_info("gw", "tun %s: no TSO offload (%s)", name, strerror(errno));
		close(fd);
		if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK)) < 0)
			return BW_ERR_IO;
	}
	if (tun_set(fd, name, IFF_TUN | IFF_NO_PI) != 0) {
		log_err("gw", "TUNSETIFF %s: %s", name, strerror(errno));
		close(fd);
		return BW_ERR_IO;
	}
	return fd;
}

int gw_tun_ifindex(const char *name)
{
	unsigned idx = if_nametoindex(name);

	return idx == 0 ? BW_ERR_NOTFOUND : (int)idx;
}

struct nl_req {
	struct nlmsghdr nh;
	union {
		struct ifinfomsg ifi;
		struct ifaddrmsg ifa;
		struct rtmsg rt;
	} u;
	uint8_t attrs[256];
};

static int nl_attr(struct nl_req *req, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(req->nh.nlmsg_len);
	struct rtattr *rta = (struct rtattr *)(void *)((uint8_t *)req + off);

	if (off + RTA_SPACE(len) > sizeof(*req))
		return BW_ERR_NOSPACE;
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return 0;
}

/* Sends one request and waits for its ACK; returns 0, or the kernel's error as BW_ERR_IO. */
static int nl_talk(struct nl_req *req, const char *what)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	uint8_t buf[4096];
	int fd, r = BW_ERR_IO;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return BW_ERR_IO;
	req->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->nh.nlmsg_seq = 1;
	if (sendto(fd, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)(sizeof(struct nlmsghdr) + sizeof(struct nlmsgerr)))
		goto out;
	{
		struct nlmsghdr nh;
		struct nlmsgerr err;

		memcpy(&nh, buf, sizeof(nh));
		memcpy(&err, buf + NLMSG_HDRLEN, sizeof(err));
		if (nh.nlmsg_type != NLMSG_ERROR)
			goto out;
		if (err.error == 0 || err.error == -EEXIST)
			r = 0;
		else
			log_err("gw", "netlink %s: %s", what, strerror(-err.error));
	}
out:
	close(fd);
	return r;
}

int gw_nl_link_up(int ifindex, uint32_t mtu)
{
	struct nl_req req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.u.ifi.ifi_family = AF_UNSPEC;
	req.u.ifi.ifi_index = ifindex;
	req.u.ifi.ifi_flags = IFF_UP;
	req.u.ifi.ifi_change = IFF_UP;
	if (nl_attr(&req, IFLA_MTU, &mtu, sizeof(mtu)) != 0)
		return BW_ERR_NOSPACE;
	return nl_talk(&req, "link up");
}

int gw_nl_addr_add(int ifindex, const struct bw_addr *a, uint8_t plen)
{
	struct nl_req req;
	size_t alen = bw_addr_len(a);

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = RTM_NEWADDR;
	req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	req.u.ifa.ifa_family = a->family;
	req.u.ifa.ifa_prefixlen = plen;
	req.u.ifa.ifa_index = (unsigned)ifindex;
	if (nl_attr(&req, IFA_LOCAL, a->a, alen) != 0 ||
	    nl_attr(&req, IFA_ADDRESS, a->a, alen) != 0)
		return BW_ERR_NOSPACE;
	return nl_talk(&req, "add address");
}

int gw_nl_route_add(int ifindex, const struct bw_addr *prefix, uint8_t plen)
{
	struct nl_req req;
	uint32_t oif = (uint32_t)ifindex;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_NEWROUTE;
	req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	req.u.rt.rtm_family = prefix->family;
	req.u.rt.rtm_dst_len = plen;
	req.u.rt.rtm_table = RT_TABLE_MAIN;
	req.u.rt.rtm_protocol = RTPROT_STATIC;
	req.u.rt.rtm_scope = RT_SCOPE_LINK;
	req.u.rt.rtm_type = RTN_UNICAST;
	if (nl_attr(&req, RTA_DST, prefix->a, bw_addr_len(prefix)) != 0 ||
	    nl_attr(&req, RTA_OIF, &oif, sizeof(oif)) != 0)
		return BW_ERR_NOSPACE;
	return nl_talk(&req, "add route");
}
