/* SPDX-License-Identifier: ISC */
/*
 * SSH (RFC 4253) up to the key exchange, as Suricata's SSH parser sees it:
 * each side's identification line "SSH-protoversion-softwareversion
 * SP comments CR LF" (4.2), then binary packets (6: uint32 packet_length,
 * byte padding_length, payload, padding) whose first payload byte is the
 * message code. KEXINIT (7.1) gives the HASSH fingerprint of each side:
 * "kex_algorithms;encryption;mac;compression" with the lists of the
 * side's own direction (client: client-to-server, server: server-to-
 * client), and its MD5. After NEWKEYS (7.3) a direction is encrypted and
 * no longer parsed. One transaction per connection holds, per direction,
 * ssh.proto and ssh.software (that side's banner), and ssh.hassh /
 * ssh.hassh.string (to the server) or ssh.hassh.server /
 * ssh.hassh.server.string (to the client).
 *
 * Limits: a banner line is read up to SSH_BANNER_MAX bytes (the rest of
 * an overlong line is skipped, as Suricata does); a KEXINIT is reassembled
 * up to SSH_KEX_MAX bytes, a larger one is skipped; other packets are
 * skipped without being held.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_md5.h"
#include "ips/app_int.h"
#include "lib/err.h"
#include "lib/rd.h"

enum ssh_const {
	SSH_BANNER_MAX = 256,  /* Suricata's SSH_MAX_BANNER_LEN */
	SSH_KEX_MAX = 65535,   /* Suricata's SSH_MAX_REASSEMBLED_RECORD_LEN */
	SSH_REC_HDR = 6,       /* packet_length, padding_length, message code */
	SSH_MSG_KEXINIT = 20,  /* RFC 4253 12 */
	SSH_MSG_NEWKEYS = 21,  /* RFC 4253 12 */
	SSH_COOKIE_LEN = 16,   /* RFC 4253 7.1 */
	SSH_HASSH_MAX = 16384, /* a hassh string longer than this is cut */
};

enum ssh_phase {
	SSH_PH_BANNER,     /* reading the identification line */
	SSH_PH_BANNER_EOL, /* overlong line already used: skipping to its end */
	SSH_PH_RECORDS,    /* binary packets */
	SSH_PH_DONE,       /* NEWKEYS seen: encrypted from here on */
};

struct ssh_dir {
	enum ssh_phase ph;
	uint8_t line[SSH_BANNER_MAX];
	size_t nline;
	uint8_t hdr[SSH_REC_HDR];
	size_t nhdr;
	size_t left;   /* bytes of the current packet after the header */
	bool kex;      /* the current packet is a KEXINIT being kept */
	uint8_t *kbuf; /* its bytes after the message code */
	size_t nk, kcap;
};

struct ssh_state {
	struct ssh_dir d[2];
	struct app_tx *tx;
};

static struct app_tx *ssh_tx(struct app_flow *f, struct ssh_state *s)
{
	if (s->tx == NULL)
		s->tx = app_tx_new(f, APP_PROTO_SSH);
	return s->tx;
}

static struct app_ssh_side *side_of(struct app_tx *tx, enum app_dir dir)
{
	return dir == APP_DIR_TO_SERVER ? &tx->u.ssh.client : &tx->u.ssh.server;
}

/* "SSH-" protoversion "-" softwareversion [SP comments]: Suricata's ssh_parse_banner. */
static void banner(struct app_flow *f, struct ssh_state *s, enum app_dir dir, const uint8_t *p,
                   size_t len)
{
	size_t i = 4, pv, sw;
	struct app_tx *tx;
	struct app_ssh_side *side;

	if (len < 4 || memcmp(p, "SSH-", 4) != 0)
		goto bad;
	for (pv = i; i < len && p[i] != '-'; i++)
		;
	if (i == pv || i == len)
		goto bad;
	pv = i - 4;
	for (sw = ++i; i < len && p[i] != ' ' && p[i] != '\r' && p[i] != '\n'; i++)
		;
	sw = i - sw;
	if ((tx = ssh_tx(f, s)) == NULL)
		return;
	side = side_of(tx, dir);
	if (app_tx_buf_add(f, tx, dir, IPS_BUF_SSH_PROTO, p + 4, pv) == 0)
		side->proto_version = app_tx_buf_str(tx, dir, IPS_BUF_SSH_PROTO);
	if (sw > 0 && app_tx_buf_add(f, tx, dir, IPS_BUF_SSH_SOFTWARE, p + 4 + pv + 1, sw) == 0)
		side->software_version = app_tx_buf_str(tx, dir, IPS_BUF_SSH_SOFTWARE);
	tx->flags |= dir == APP_DIR_TO_SERVER ? APP_TX_REQ_HDRS : APP_TX_RES_HDRS;
	app_tx_mark(tx, dir);
	return;
bad:
	f->events |= APP_EV_SSH_MALFORMED;
	f->dead[dir] = true;
}

/* One RFC 4251 5 name-list: uint32 length, then that many bytes. */
static int name_list(struct bw_rd *rd, const uint8_t **p, size_t *n)
{
	uint32_t len;

	if (bw_rd_u32(rd, &len) != 0 || bw_rd_ptr(rd, p, len) != 0)
		return BW_ERR_SHORT;
	*n = len;
	return 0;
}

static void hassh_add(char *h, size_t *n, const uint8_t *p, size_t len, bool sep)
{
	if (sep && *n < SSH_HASSH_MAX)
		h[(*n)++] = ';';
	if (len > SSH_HASSH_MAX - *n)
		len = SSH_HASSH_MAX - *n;
	memcpy(h + *n, p, len);
	*n += len;
}

/* KEXINIT payload after the message code (RFC 4253 7.1); padding may follow. */
static void kexinit(struct app_flow *f, struct ssh_state *s, enum app_dir dir, const uint8_t *p,
                    size_t len)
{
	const uint8_t *l[10];
	size_t n[10], hn = 0;
	struct bw_rd rd;
	struct app_tx *tx;
	struct app_ssh_side *side;
	uint8_t md[CRYPTO_MD5_LEN];
	char hex[2 * CRYPTO_MD5_LEN + 1], *h;
	/* The lists of this side's own direction: enc, mac, comp (RFC 4253 7.1 order). */
	const int own = dir == APP_DIR_TO_SERVER ? 0 : 1;
	const bool to_server = dir == APP_DIR_TO_SERVER;

	bw_rd_init(&rd, p, len);
	if (bw_rd_skip(&rd, SSH_COOKIE_LEN) != 0)
		goto bad;
	for (int i = 0; i < 10; i++)
		if (name_list(&rd, &l[i], &n[i]) != 0)
			goto bad;
	if ((tx = ssh_tx(f, s)) == NULL)
		return;
	side = side_of(tx, dir);
	if (side->hassh != NULL)
		return;
	if ((h = malloc(SSH_HASSH_MAX + 1)) == NULL)
		return;
	/* 0 kex, 1 host key, 2/3 enc c2s/s2c, 4/5 mac, 6/7 comp, 8/9 languages. */
	hassh_add(h, &hn, l[0], n[0], false);
	hassh_add(h, &hn, l[2 + own], n[2 + own], true);
	hassh_add(h, &hn, l[4 + own], n[4 + own], true);
	hassh_add(h, &hn, l[6 + own], n[6 + own], true);
	if (crypto_md5(h, hn, md) == 0) {
		enum ips_buf hb = to_server ? IPS_BUF_SSH_HASSH : IPS_BUF_SSH_HASSH_SERVER;
		enum ips_buf sb =
		        to_server ? IPS_BUF_SSH_HASSH_STRING : IPS_BUF_SSH_HASSH_SERVER_STRING;

		app_hex(md, sizeof(md), hex);
		if (app_tx_buf_add(f, tx, dir, hb, hex, 2 * CRYPTO_MD5_LEN) == 0 &&
		    app_tx_buf_add(f, tx, dir, sb, h, hn) == 0) {
			side->hassh = app_tx_buf_str(tx, dir, hb);
			side->hassh_string = app_tx_buf_str(tx, dir, sb);
		}
	}
	free(h);
	app_tx_mark(tx, dir);
	return;
bad:
	f->events |= APP_EV_SSH_MALFORMED;
}

static void dir_done(struct app_flow *f, struct ssh_state *s, enum app_dir dir)
{
	s->d[dir].ph = SSH_PH_DONE;
	f->dead[dir] = true;
	if (s->tx != NULL) {
		s->tx->flags |= dir == APP_DIR_TO_SERVER ? APP_TX_REQ_DONE : APP_TX_RES_DONE;
		app_tx_mark(s->tx, dir);
		/* Complete: the owner frees it at its next acknowledgement. */
		if (s->d[dir ^ 1].ph == SSH_PH_DONE) {
			s->tx->flags |= APP_TX_COMPLETE;
			s->tx = NULL;
		}
	}
	/* Both sides encrypted: Suricata stops inspecting the session's payload. */
	if (s->d[dir ^ 1].ph == SSH_PH_DONE)
		f->no_payload = true;
}

/* Binary packets: header, then the body kept (KEXINIT) or skipped. */
static size_t records(struct app_flow *f, struct ssh_state *s, enum app_dir dir, const uint8_t *p,
                      size_t len)
{
	struct ssh_dir *d = &s->d[dir];
	size_t used = 0;

	while (used < len && d->ph == SSH_PH_RECORDS) {
		size_t take;

		if (d->nhdr < SSH_REC_HDR) {
			uint32_t plen;

			take = SSH_REC_HDR - d->nhdr < len - used ? SSH_REC_HDR - d->nhdr
			                                          : len - used;
			memcpy(d->hdr + d->nhdr, p + used, take);
			d->nhdr += take;
			used += take;
			if (d->nhdr < SSH_REC_HDR)
				break;
			plen = bw_be32(d->hdr);
			if (plen < 2) {
				f->events |= APP_EV_SSH_MALFORMED;
				f->dead[dir] = true;
				return len;
			}
			d->left = (size_t)plen - 2;
			d->nk = 0;
			d->kex = false;
			if (d->hdr[5] == SSH_MSG_KEXINIT) {
				if (d->left <= SSH_KEX_MAX)
					d->kex = true;
				else
					f->events |= APP_EV_SSH_MALFORMED;
			}
		}
		take = d->left < len - used ? d->left : len - used;
		if (d->kex && take > 0) {
			if (d->kcap < d->left + d->nk) {
				size_t ncap = d->left + d->nk;
				uint8_t *b;

				if (!app_mem_take(f, ncap - d->kcap)) {
					f->dead[dir] = true;
					return len;
				}
				if ((b = realloc(d->kbuf, ncap)) == NULL) {
					app_mem_give(f, ncap - d->kcap);
					f->dead[dir] = true;
					return len;
				}
				d->kbuf = b;
				d->kcap = ncap;
			}
			memcpy(d->kbuf + d->nk, p + used, take);
			d->nk += take;
		}
		d->left -= take;
		used += take;
		if (d->left > 0)
			break;
		d->nhdr = 0;
		if (d->kex) {
			kexinit(f, s, dir, d->kbuf, d->nk);
			/* One KEXINIT per side counts: its buffer goes. */
			app_mem_give(f, d->kcap);
			free(d->kbuf);
			d->kbuf = NULL;
			d->kcap = d->nk = 0;
		}
		d->kex = false;
		if (d->hdr[5] == SSH_MSG_NEWKEYS)
			dir_done(f, s, dir);
	}
	return len;
}

static int ssh_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct ssh_state *s = f->state;
	struct ssh_dir *d = &s->d[dir];

	while (len > 0 && !f->dead[dir]) {
		const uint8_t *nl;
		size_t n;

		switch (d->ph) {
		case SSH_PH_BANNER:
		case SSH_PH_BANNER_EOL:
			nl = memchr(p, '\n', len);
			n = nl != NULL ? (size_t)(nl - p) + 1 : len;
			if (d->ph == SSH_PH_BANNER) {
				size_t take = n < SSH_BANNER_MAX - d->nline
				                      ? n
				                      : SSH_BANNER_MAX - d->nline;

				memcpy(d->line + d->nline, p, take);
				d->nline += take;
				if (nl != NULL || d->nline == SSH_BANNER_MAX) {
					size_t ll = d->nline;

					/* The line ends at LF, CR LF, or a CR (Suricata's
					 * ssh_parse_line). */
					for (size_t i = 0; i < ll; i++)
						if (d->line[i] == '\r' || d->line[i] == '\n') {
							ll = i;
							break;
						}
					banner(f, s, dir, d->line, ll);
					d->ph = nl != NULL ? SSH_PH_RECORDS : SSH_PH_BANNER_EOL;
				}
			} else if (nl != NULL) {
				d->ph = SSH_PH_RECORDS;
			}
			p += n;
			len -= n;
			break;
		case SSH_PH_RECORDS:
			n = records(f, s, dir, p, len);
			p += n;
			len -= n;
			break;
		case SSH_PH_DONE:
			return 0;
		}
	}
	return 0;
}

static int ssh_init(struct app_flow *f)
{
	return app_state_new(f, sizeof(struct ssh_state));
}

static void ssh_eof(struct app_flow *f, enum app_dir dir)
{
	struct ssh_state *s = f->state;

	if (s->d[dir].ph != SSH_PH_DONE)
		dir_done(f, s, dir);
}

static void ssh_fini(struct app_flow *f)
{
	struct ssh_state *s = f->state;

	for (int i = 0; i < 2; i++) {
		app_mem_give(f, s->d[i].kcap);
		free(s->d[i].kbuf);
	}
	app_state_free(f, sizeof(*s));
}

const struct app_parser app_parser_ssh = {
        .proto = APP_PROTO_SSH,
        .init = ssh_init,
        .feed = ssh_feed,
        .eof = ssh_eof,
        .fini = ssh_fini,
};
