/* SPDX-License-Identifier: ISC */
/*
 * Port-independent protocol detection from the first bytes of a direction,
 * in the spirit of Suricata's probing parsers:
 *  - HTTP/1.x: a request line "METHOD SP" with a known method (RFC 9110 9.1
 *    plus WebDAV), or a status line "HTTP/1.x SP" (RFC 9112 4);
 *  - TLS: a handshake record header (RFC 8446 5.1: type 22, legacy version
 *    3.x, x <= 4, a plausible length) carrying ClientHello to the server
 *    or ServerHello to the client;
 *  - DNS: a header (RFC 1035 4.1.1) whose QR bit fits the direction, sane
 *    counts and a first question that parses; over TCP after the 2-byte
 *    length of RFC 1035 4.2.2;
 *  - SSH banners (RFC 4253 4.2), FTP (RFC 959) and SMTP (RFC 5321 4.2)
 *    greetings and first commands;
 *  - SMB1/2/3 behind the NetBIOS session header (RFC 1002 4.3.1);
 *  - DCE/RPC: a connection-oriented v5.0 PDU header (C706 12.6.3.1) with a
 *    valid data representation, as Suricata's probe, in either direction.
 */
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"
#include "lib/rd.h"

/* RFC 9110 methods, WebDAV (RFC 4918) and a few others seen on the wire. */
static const char *const http_methods[] = {
        "GET",    "POST",     "HEAD",      "PUT",   "DELETE", "OPTIONS",   "CONNECT",     "TRACE",
        "PATCH",  "PROPFIND", "PROPPATCH", "MKCOL", "COPY",   "MOVE",      "LOCK",        "UNLOCK",
        "SEARCH", "REPORT",   "CHECKOUT",  "MERGE", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE",
};

/* 0: matches; BW_ERR_AGAIN: p is a prefix of it; BW_ERR_NOTFOUND. */
static int prefix(const uint8_t *p, size_t len, const char *s, bool nocase)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		uint8_t c;

		if (i >= len)
			return BW_ERR_AGAIN;
		c = p[i];
		if (nocase && c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 'a' + 'A');
		if (c != (uint8_t)s[i])
			return BW_ERR_NOTFOUND;
	}
	return 0;
}

static int detect_http(const uint8_t *p, size_t len, enum app_dir dir)
{
	int r, best = BW_ERR_NOTFOUND;
	char m[16];

	if ((r = prefix(p, len, "HTTP/1.", false)) != BW_ERR_NOTFOUND) {
		/* A response first from the client side is a request, not HTTP. */
		if (r == 0 && dir == APP_DIR_TO_SERVER)
			return BW_ERR_NOTFOUND;
		return r;
	}
	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++) {
		size_t n = strlen(http_methods[i]);

		memcpy(m, http_methods[i], n);
		m[n] = ' ';
		m[n + 1] = '\0';
		r = prefix(p, len, m, false);
		if (r == 0)
			return dir == APP_DIR_TO_SERVER ? 0 : BW_ERR_NOTFOUND;
		if (r == BW_ERR_AGAIN)
			best = BW_ERR_AGAIN;
	}
	return best;
}

static int detect_tls(const uint8_t *p, size_t len, enum app_dir dir)
{
	uint16_t rlen;

	if (len < 1)
		return BW_ERR_AGAIN;
	if (p[0] != 22)
		return BW_ERR_NOTFOUND;
	if (len < 6)
		return BW_ERR_AGAIN;
	if (p[1] != 3 || p[2] > 4)
		return BW_ERR_NOTFOUND;
	rlen = bw_be16(p + 3);
	if (rlen < 4 || rlen > 16384 + 2048)
		return BW_ERR_NOTFOUND;
	/* ClientHello (1) goes to the server, ServerHello (2) to the client. */
	if (p[5] != (dir == APP_DIR_TO_SERVER ? 1 : 2))
		return BW_ERR_NOTFOUND;
	return 0;
}

static int detect_dns(const uint8_t *p, size_t len, enum app_dir dir, enum app_l4 l4, bool port53)
{
	if (l4 == APP_L4_TCP) {
		uint16_t mlen;

		if (len < 2)
			return BW_ERR_AGAIN;
		mlen = bw_be16(p);
		if (mlen < 12)
			return BW_ERR_NOTFOUND;
		if (len - 2 < 12)
			return BW_ERR_AGAIN;
		p += 2;
		len -= 2;
		if (len > mlen)
			len = mlen;
		/* The question may still be on its way: the header alone must do. */
		if (len < mlen && len < 64)
			return app_dns_probe(p, len, dir == APP_DIR_TO_CLIENT, true, port53)
			               ? BW_ERR_AGAIN
			               : BW_ERR_NOTFOUND;
	}
	return app_dns_probe(p, len, dir == APP_DIR_TO_CLIENT, false, port53) ? 0 : BW_ERR_NOTFOUND;
}

/*
 * RFC 1002 4.3: session request, answers and keep-alives (0x81..0x85) may
 * come first (port 139); the first session message (0x00) must carry an
 * SMB1/SMB2 header or an SMB3 transform header.
 */
static int detect_smb(const uint8_t *p, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		uint8_t t = p[pos];

		if (t != 0x00 && (t < 0x81 || t > 0x85))
			return BW_ERR_NOTFOUND;
		if (len - pos < 4)
			return BW_ERR_AGAIN;
		if (t != 0x00) {
			pos += 4 + ((size_t)(p[pos + 1] & 1) << 16 | (size_t)bw_be16(p + pos + 2));
			continue;
		}
		if (len - pos < 8)
			return BW_ERR_AGAIN;
		if ((p[pos + 4] == 0xff || p[pos + 4] == 0xfe || p[pos + 4] == 0xfd) &&
		    p[pos + 5] == 'S' && p[pos + 6] == 'M' && p[pos + 7] == 'B')
			return 0;
		return BW_ERR_NOTFOUND;
	}
	return BW_ERR_AGAIN;
}

static int detect_banner(const uint8_t *p, size_t len, enum app_dir dir, enum app_proto *out)
{
	int r, best = BW_ERR_NOTFOUND;
	size_t eol;

	if ((r = prefix(p, len, "SSH-", false)) != BW_ERR_NOTFOUND) {
		*out = APP_PROTO_SSH;
		return r;
	}
	/* SMB behind the NetBIOS session message header (after any session setup messages). */
	if ((r = detect_smb(p, len)) != BW_ERR_NOTFOUND) {
		if (r == 0) {
			*out = APP_PROTO_SMB;
			return 0;
		}
		best = BW_ERR_AGAIN;
	}
	if (dir == APP_DIR_TO_SERVER) {
		static const struct {
			const char *s;
			enum app_proto p;
		} cmds[] = {
		        {"USER ", APP_PROTO_FTP},
		        {"AUTH TLS", APP_PROTO_FTP},
		        {"EHLO ", APP_PROTO_SMTP},
		        {"HELO ", APP_PROTO_SMTP},
		};

		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			r = prefix(p, len, cmds[i].s, true);
			if (r == 0) {
				*out = cmds[i].p;
				return 0;
			}
			if (r == BW_ERR_AGAIN)
				best = BW_ERR_AGAIN;
		}
		return best;
	}
	/* Greeting "220" SP/'-' text CRLF: SMTP if it says so, else FTP. */
	if ((r = prefix(p, len, "220", false)) != 0)
		return r == BW_ERR_AGAIN ? BW_ERR_AGAIN : best;
	if (len < 4)
		return BW_ERR_AGAIN;
	if (p[3] != ' ' && p[3] != '-')
		return best;
	for (eol = 4; eol < len && p[eol] != '\n'; eol++)
		;
	if (eol == len && len < APP_DETECT_MAX)
		return BW_ERR_AGAIN;
	*out = APP_PROTO_FTP;
	for (size_t i = 4; i + 4 <= eol; i++)
		if (prefix(p + i, eol - i, "SMTP", true) == 0) {
			*out = APP_PROTO_SMTP;
			break;
		}
	return 0;
}

int app_detect(const uint8_t *p, size_t len, enum app_dir dir, enum app_l4 l4, enum app_proto *out)
{
	return app_detect_port(p, len, dir, l4, 0, out);
}

int app_detect_port(const uint8_t *p, size_t len, enum app_dir dir, enum app_l4 l4,
                    uint16_t srv_port, enum app_proto *out)
{
	bool port53 = srv_port == 53;
	int r, again = 0;
	enum app_proto b = APP_PROTO_UNKNOWN;

	*out = APP_PROTO_UNKNOWN;
	if (len == 0)
		return BW_ERR_AGAIN;
	if (l4 == APP_L4_UDP) {
		if (detect_dns(p, len, dir, l4, port53) == 0) {
			*out = APP_PROTO_DNS;
			return 0;
		}
		return BW_ERR_NOTFOUND;
	}
	if ((r = detect_http(p, len, dir)) == 0) {
		*out = APP_PROTO_HTTP;
		return 0;
	}
	again |= r == BW_ERR_AGAIN;
	if ((r = detect_tls(p, len, dir)) == 0) {
		*out = APP_PROTO_TLS;
		return 0;
	}
	again |= r == BW_ERR_AGAIN;
	if ((r = detect_banner(p, len, dir, &b)) == 0) {
		*out = b;
		return 0;
	}
	again |= r == BW_ERR_AGAIN;
	/* Before DNS: a DCE/RPC header also reads as a plausible DNS length. */
	if ((r = app_dce_probe(p, len)) == 0) {
		*out = APP_PROTO_DCERPC;
		return 0;
	}
	again |= r == BW_ERR_AGAIN;
	/* DNS over TCP last: its header check is the weakest of these. */
	if ((r = detect_dns(p, len, dir, l4, port53)) == 0) {
		*out = APP_PROTO_DNS;
		return 0;
	}
	again |= r == BW_ERR_AGAIN;
	return again ? BW_ERR_AGAIN : BW_ERR_NOTFOUND;
}
