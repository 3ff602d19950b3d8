/* SPDX-License-Identifier: ISC */
/*
 * SMTP (RFC 5321) with the message's MIME structure (RFC 2045, 2046).
 *
 * Commands to the server are lines; HELO/EHLO name the client, MAIL FROM
 * opens a transaction (one per mail, 3.3), RCPT TO adds recipients, DATA
 * switches the client side to message lines up to the "." line (4.1.1.4,
 * dot-stuffing undone, 4.5.2), BDAT (RFC 3030) to a counted chunk, RSET
 * ends the transaction, and a 220 reply to STARTTLS (RFC 3207) ends the
 * parsing of both sides (what follows is TLS). Replies are not kept.
 *
 * The message goes through a MIME reader: header fields (folded lines
 * joined), Content-Type boundary and name, Content-Disposition filename
 * and Content-Transfer-Encoding, multipart boundaries nested up to
 * SMTP_MIME_DEPTH. Each part with a file name is an attachment: its body,
 * decoded from base64 or quoted-printable (other encodings as sent, each
 * line with its CRLF), is one file.data instance to the server, as in
 * Suricata (up to app_cfg.body_limit per transaction).
 *
 * Limits: lines of SMTP_LINE_MAX bytes (longer ones are cut), header
 * fields of SMTP_HDR_MAX, SMTP_RCPT_MAX recipients and SMTP_ATT_MAX
 * attachment names kept for the log.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ips/app_int.h"
#include "lib/b64.h"
#include "lib/err.h"
#include "lib/hex.h"

enum smtp_const {
	SMTP_LINE_MAX = 4096,
	SMTP_HDR_MAX = 4096,  /* one (unfolded) header field */
	SMTP_BOUND_MAX = 128, /* RFC 2046 5.1.1 allows 70 */
	SMTP_MIME_DEPTH = 8,
	SMTP_RCPT_MAX = 64,
	SMTP_ATT_MAX = 32,
	SMTP_NAME_MAX = 255, /* attachment file name bytes kept */
};

enum smtp_mode {
	SMTP_CMD,  /* command lines */
	SMTP_DATA, /* message lines up to "." */
	SMTP_BDAT, /* bdat_left bytes of a chunk */
	SMTP_TLS,  /* after STARTTLS: not parsed */
};

enum mime_enc {
	MIME_ENC_NONE,
	MIME_ENC_B64,
	MIME_ENC_QP,
};

/* Per-transaction log arrays (tx->priv). */
struct smtp_txp {
	const char *rcpt[SMTP_RCPT_MAX];
	const char *att[SMTP_ATT_MAX];
};

struct mime_state {
	bool in_hdrs;
	char hdr[SMTP_HDR_MAX + 1]; /* the header field being unfolded */
	size_t nhdr;
	/* The part whose headers are being read, or whose body runs. */
	bool multipart; /* its Content-Type names a boundary: child parts follow */
	char next_bound[SMTP_BOUND_MAX + 1];
	enum mime_enc enc;
	bool attach;
	/* File names seen in the part's headers: Content-Disposition's wins. */
	char disp_name[SMTP_NAME_MAX + 1], type_name[SMTP_NAME_MAX + 1];
	/* Boundaries of the enclosing multiparts, innermost last. */
	char bound[SMTP_MIME_DEPTH][SMTP_BOUND_MAX + 1];
	size_t nbound;
	bool top; /* headers of the message itself (From, Subject) */
	uint8_t b64[4];
	size_t nb64;
};

struct smtp_state {
	struct app_line line[2];
	enum smtp_mode mode;
	size_t bdat_left;
	bool bdat_last;
	size_t pending;   /* commands sent whose final reply has not come */
	bool data_wait;   /* DATA sent, its reply not seen yet */
	size_t data_skip; /* final replies to other commands before DATA's */
	bool data_lines;  /* a message line came since DATA */
	bool starttls;
	struct app_tx *tx; /* the open mail transaction */
	const char *helo;  /* in the current tx */
	uint8_t helo_buf[256];
	size_t nhelo;
	struct mime_state m;
};

static struct smtp_txp *txp(struct app_flow *f, struct app_tx *tx)
{
	if (tx->priv == NULL && app_mem_take(f, sizeof(struct smtp_txp))) {
		if ((tx->priv = calloc(1, sizeof(struct smtp_txp))) == NULL)
			app_mem_give(f, sizeof(struct smtp_txp));
		else
			tx->mem += sizeof(struct smtp_txp);
	}
	return tx->priv;
}

static void mime_reset(struct mime_state *m)
{
	memset(m, 0, sizeof(*m));
	m->in_hdrs = true;
	m->top = true;
}

static struct app_tx *smtp_tx(struct app_flow *f, struct smtp_state *s)
{
	if (s->tx != NULL)
		return s->tx;
	if ((s->tx = app_tx_new(f, APP_PROTO_SMTP)) == NULL)
		return NULL;
	mime_reset(&s->m);
	if (s->nhelo > 0)
		s->tx->u.smtp.helo = app_tx_strdup(f, s->tx, s->helo_buf, s->nhelo);
	return s->tx;
}

static void tx_end(struct app_flow *f, struct smtp_state *s)
{
	if (s->tx != NULL) {
		struct app_file *x = app_file_last(s->tx, APP_DIR_TO_SERVER);
		/* The message ends the attachment still open. */
		if (x != NULL && x->open)
			app_file_close(f, s->tx, APP_DIR_TO_SERVER, true);
		s->tx->flags |= APP_TX_REQ_DONE | APP_TX_RES_DONE | APP_TX_COMPLETE;
		app_tx_mark(s->tx, APP_DIR_TO_SERVER);
	}
	s->tx = NULL;
}

/* ---- MIME ---- */

/* Value of parameter name (case-insensitive) in a header value, unquoted. */
static size_t mime_param(const char *v, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);

	for (const char *p = v; (p = strchr(p, ';')) != NULL;) {
		size_t n = 0;

		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		p += nl + 1;
		if (*p == '"') {
			for (p++; *p && *p != '"' && n < cap; p++)
				out[n++] = *p;
		} else {
			for (; *p && *p != ';' && *p != ' ' && *p != '\t' && n < cap; p++)
				out[n++] = *p;
		}
		out[n] = '\0';
		return n;
	}
	return 0;
}

static void add_attachment_name(struct app_flow *f, struct app_tx *tx, const char *name)
{
	struct smtp_txp *x = txp(f, tx);
	const char *c;

	if (x == NULL || tx->u.smtp.nattach >= SMTP_ATT_MAX)
		return;
	if ((c = app_tx_strdup(f, tx, name, strlen(name))) == NULL)
		return;
	x->att[tx->u.smtp.nattach++] = c;
	tx->u.smtp.attachments = x->att;
}

/* One complete (unfolded) header field. */
static void mime_header(struct app_flow *f, struct smtp_state *s, const char *h)
{
	struct mime_state *m = &s->m;
	const char *colon = strchr(h, ':'), *v;
	size_t nn;

	if (colon == NULL)
		return;
	nn = (size_t)(colon - h);
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	/* As Suricata's MIME decoder: any Content-Type with a boundary has children. */
	if (nn == 12 && strncasecmp(h, "content-type", nn) == 0) {
		if (mime_param(v, "boundary", m->next_bound, SMTP_BOUND_MAX) > 0)
			m->multipart = true;
		(void)mime_param(v, "name", m->type_name, SMTP_NAME_MAX);
	} else if (nn == 19 && strncasecmp(h, "content-disposition", nn) == 0) {
		(void)mime_param(v, "filename", m->disp_name, SMTP_NAME_MAX);
	} else if (nn == 25 && strncasecmp(h, "content-transfer-encoding", nn) == 0) {
		if (strncasecmp(v, "base64", 6) == 0)
			m->enc = MIME_ENC_B64;
		else if (strncasecmp(v, "quoted-printable", 16) == 0)
			m->enc = MIME_ENC_QP;
	} else if (m->top && nn == 4 && strncasecmp(h, "from", nn) == 0) {
		s->tx->u.smtp.from = app_tx_strdup(f, s->tx, v, strlen(v));
	} else if (m->top && nn == 7 && strncasecmp(h, "subject", nn) == 0) {
		s->tx->u.smtp.subject = app_tx_strdup(f, s->tx, v, strlen(v));
	}
}

static void file_bytes(struct app_flow *f, struct smtp_state *s, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (app_tx_buf_append(f, s->tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA, p, n,
	                      f->ctx->cfg.body_limit) != 0)
		f->events |= APP_EV_BODY_TRUNC;
	/* Every decoded byte goes to the file (size, digests, magic). */
	app_file_data(f, s->tx, APP_DIR_TO_SERVER, p, n);
	app_tx_body(s->tx, APP_DIR_TO_SERVER, n);
}

/* Base64 (RFC 2045 6.8): characters outside the alphabet are ignored. */
static void b64_line(struct app_flow *f, struct smtp_state *s, const uint8_t *p, size_t len)
{
	struct mime_state *m = &s->m;
	uint8_t out[SMTP_LINE_MAX / 4 * 3 + 3];
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '=') {
			/* Padding: flush the partial group. */
			if (m->nb64 >= 2) {
				int a = bw_b64_val(m->b64[0]), b = bw_b64_val(m->b64[1]);

				out[n++] = (uint8_t)(a << 2 | b >> 4);
				if (m->nb64 == 3)
					out[n++] = (uint8_t)((b & 15) << 4 |
					                     bw_b64_val(m->b64[2]) >> 2);
			}
			m->nb64 = 0;
			continue;
		}
		if (bw_b64_val(p[i]) < 0)
			continue;
		m->b64[m->nb64++] = p[i];
		if (m->nb64 == 4) {
			int a = bw_b64_val(m->b64[0]), b = bw_b64_val(m->b64[1]),
			    c = bw_b64_val(m->b64[2]), d = bw_b64_val(m->b64[3]);

			out[n++] = (uint8_t)(a << 2 | b >> 4);
			out[n++] = (uint8_t)((b & 15) << 4 | c >> 2);
			out[n++] = (uint8_t)((c & 3) << 6 | d);
			m->nb64 = 0;
		}
	}
	file_bytes(f, s, out, n);
}

/* Quoted-printable (RFC 2045 6.7): =XX, and a final '=' joins the next line. */
static void qp_line(struct app_flow *f, struct smtp_state *s, const uint8_t *p, size_t len)
{
	uint8_t out[SMTP_LINE_MAX + 2];
	size_t n = 0;
	bool soft = false;

	for (size_t i = 0; i < len; i++) {
		if (p[i] != '=') {
			out[n++] = p[i];
		} else if (i + 1 == len) {
			soft = true;
		} else if (i + 2 < len && bw_hex_digit(p[i + 1]) >= 0 &&
		           bw_hex_digit(p[i + 2]) >= 0) {
			out[n++] = (uint8_t)(bw_hex_digit(p[i + 1]) << 4 | bw_hex_digit(p[i + 2]));
			i += 2;
		} else {
			out[n++] = p[i];
		}
	}
	if (!soft) {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	file_bytes(f, s, out, n);
}

/* "--boundary" or "--boundary--" of an enclosing multipart: its depth + 1, else 0. */
static size_t boundary_of(const struct mime_state *m, const uint8_t *p, size_t len, bool *end)
{
	if (len < 2 || p[0] != '-' || p[1] != '-')
		return 0;
	for (size_t k = m->nbound; k > 0; k--) {
		size_t bl = strlen(m->bound[k - 1]);

		if (len >= 2 + bl && memcmp(p + 2, m->bound[k - 1], bl) == 0) {
			*end = len >= 4 + bl && p[2 + bl] == '-' && p[3 + bl] == '-';
			return k;
		}
	}
	return 0;
}

static void mime_hdr_flush(struct app_flow *f, struct smtp_state *s)
{
	if (s->m.nhdr > 0) {
		s->m.hdr[s->m.nhdr] = '\0';
		mime_header(f, s, s->m.hdr);
		s->m.nhdr = 0;
	}
}

/* One message line (dot-stuffing undone), without its CRLF. */
static void mime_line(struct app_flow *f, struct smtp_state *s, const uint8_t *p, size_t len)
{
	struct mime_state *m = &s->m;
	bool end = false;
	size_t k = boundary_of(m, p, len, &end);

	if (k > 0) {
		struct app_file *x = app_file_last(s->tx, APP_DIR_TO_SERVER);
		mime_hdr_flush(f, s);
		/* A boundary ends the attachment before it. */
		if (m->attach && x != NULL && x->open)
			app_file_close(f, s->tx, APP_DIR_TO_SERVER, true);
		/* A boundary closes the parts inside it. */
		m->nbound = end ? k - 1 : k;
		m->in_hdrs = !end;
		m->top = false;
		m->multipart = false;
		m->attach = false;
		m->disp_name[0] = m->type_name[0] = '\0';
		m->enc = MIME_ENC_NONE;
		m->nb64 = 0;
		return;
	}
	if (m->in_hdrs) {
		if (len > 0 && (p[0] == ' ' || p[0] == '\t') && m->nhdr > 0) {
			/* Folded (RFC 5322 2.2.3): the line continues the field. */
		} else {
			mime_hdr_flush(f, s);
		}
		if (len == 0) {
			m->in_hdrs = false;
			if (m->multipart && m->nbound < SMTP_MIME_DEPTH)
				memcpy(m->bound[m->nbound++], m->next_bound, sizeof(m->next_bound));
			if (m->disp_name[0] != '\0' || m->type_name[0] != '\0') {
				const char *nm =
				        m->disp_name[0] != '\0' ? m->disp_name : m->type_name;
				m->attach = true;
				add_attachment_name(f, s->tx, nm);
				/* The generic file: file.name, filename, fileext, digests. */
				(void)app_file_open(f, s->tx, APP_DIR_TO_SERVER, nm, strlen(nm));
			}
			if (m->attach)
				/* A new file.data instance for this attachment. */
				(void)app_tx_buf_add(f, s->tx, APP_DIR_TO_SERVER, IPS_BUF_FILE_DATA,
				                     "", 0);
			return;
		}
		for (size_t i = 0; i < len && m->nhdr < SMTP_HDR_MAX; i++)
			m->hdr[m->nhdr++] = (char)(p[i] ? p[i] : ' ');
		return;
	}
	if (!m->attach || m->multipart)
		return;
	if (m->enc == MIME_ENC_B64) {
		b64_line(f, s, p, len);
	} else if (m->enc == MIME_ENC_QP) {
		qp_line(f, s, p, len);
	} else {
		file_bytes(f, s, p, len);
		file_bytes(f, s, "\r\n", 2);
	}
}

/* ---- SMTP ---- */

static bool cmd_is(const uint8_t *p, size_t len, const char *c)
{
	size_t n = strlen(c);

	return len >= n && strncasecmp((const char *)p, c, n) == 0 &&
	       (len == n || p[n] == ' ' || c[n - 1] == ':');
}

/* The argument after a command (and its blanks). */
static const uint8_t *arg_of(const uint8_t *p, size_t len, size_t skip, size_t *n)
{
	while (skip < len && p[skip] == ' ')
		skip++;
	*n = len - skip;
	return p + skip;
}

static void add_rcpt(struct app_flow *f, struct app_tx *tx, const uint8_t *a, size_t n)
{
	struct smtp_txp *x = txp(f, tx);
	const char *c;

	if (x == NULL || tx->u.smtp.nrcpt >= SMTP_RCPT_MAX)
		return;
	if ((c = app_tx_strdup(f, tx, a, n)) == NULL)
		return;
	x->rcpt[tx->u.smtp.nrcpt++] = c;
	tx->u.smtp.rcpt_to = x->rcpt;
}

static void smtp_command(struct app_flow *f, struct smtp_state *s, const uint8_t *p, size_t len)
{
	struct app_tx *tx;
	const uint8_t *a;
	size_t n;

	s->pending++;
	if (cmd_is(p, len, "HELO") || cmd_is(p, len, "EHLO")) {
		a = arg_of(p, len, 4, &n);
		s->nhelo = n < sizeof(s->helo_buf) ? n : sizeof(s->helo_buf);
		memcpy(s->helo_buf, a, s->nhelo);
	} else if (cmd_is(p, len, "MAIL FROM:")) {
		tx_end(f, s);
		if ((tx = smtp_tx(f, s)) == NULL)
			return;
		a = arg_of(p, len, 10, &n);
		tx->u.smtp.mail_from = app_tx_strdup(f, tx, a, n);
		tx->flags |= APP_TX_REQ_HDRS;
		app_tx_mark(tx, APP_DIR_TO_SERVER);
	} else if (cmd_is(p, len, "RCPT TO:")) {
		if ((tx = smtp_tx(f, s)) == NULL)
			return;
		a = arg_of(p, len, 8, &n);
		add_rcpt(f, tx, a, n);
	} else if (cmd_is(p, len, "DATA")) {
		/* Message lines may come before the 354 is parsed (pipelining, RFC 2920). */
		if (smtp_tx(f, s) != NULL) {
			s->mode = SMTP_DATA;
			s->data_wait = true;
			s->data_skip = s->pending - 1;
			s->data_lines = false;
		}
	} else if (cmd_is(p, len, "BDAT")) {
		size_t i = 4, v = 0;

		while (i < len && p[i] == ' ')
			i++;
		for (; i < len && isdigit(p[i]) && v < ((size_t)1 << 40); i++)
			v = v * 10 + (size_t)(p[i] - '0');
		while (i < len && p[i] == ' ')
			i++;
		s->bdat_last = len - i >= 4 && strncasecmp((const char *)p + i, "LAST", 4) == 0;
		if (smtp_tx(f, s) != NULL) {
			s->bdat_left = v;
			s->mode = SMTP_BDAT;
			if (v == 0 && s->bdat_last) {
				tx_end(f, s);
				s->mode = SMTP_CMD;
			}
		}
	} else if (cmd_is(p, len, "RSET")) {
		tx_end(f, s);
	} else if (cmd_is(p, len, "STARTTLS")) {
		s->starttls = true;
	}
}

static void data_line(struct app_flow *f, struct smtp_state *s, const uint8_t *p, size_t len)
{
	s->data_lines = true;
	if (len == 1 && p[0] == '.') {
		s->pending++; /* the message itself gets a reply */
		mime_hdr_flush(f, s);
		s->mode = SMTP_CMD;
		tx_end(f, s);
		return;
	}
	/* RFC 5321 4.5.2: a leading dot was doubled by the client. */
	if (len > 0 && p[0] == '.') {
		p++;
		len--;
	}
	if (s->tx != NULL)
		mime_line(f, s, p, len);
}

/* BDAT: the chunk is message bytes; lines are split here for the MIME reader. */
static size_t bdat_bytes(struct app_flow *f, struct smtp_state *s, const uint8_t *p, size_t len)
{
	size_t take = s->bdat_left < len ? s->bdat_left : len, left = take;
	const uint8_t *q = p, *line;
	size_t llen;

	while (left > 0) {
		int r = app_line_next(f, &s->line[APP_DIR_TO_SERVER], &q, &left, &line, &llen);

		if (r < 0) {
			f->dead[APP_DIR_TO_SERVER] = true;
			return len;
		}
		if (r > 0 && s->tx != NULL)
			mime_line(f, s, line, llen);
	}
	s->bdat_left -= take;
	if (s->bdat_left == 0) {
		s->mode = SMTP_CMD;
		if (s->bdat_last)
			tx_end(f, s);
	}
	return take;
}

/* A final reply line (RFC 5321 4.2.1): matched to the commands in order. */
static void reply_final(struct smtp_state *s, uint8_t code)
{
	if (s->pending == 0)
		return; /* the greeting, or a reply to a command not seen */
	s->pending--;
	if (!s->data_wait)
		return;
	if (s->data_skip > 0) {
		s->data_skip--;
		return;
	}
	s->data_wait = false;
	if ((code == '4' || code == '5') && s->mode == SMTP_DATA && !s->data_lines)
		s->mode = SMTP_CMD;
}

static int smtp_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct smtp_state *s = f->state;
	const uint8_t *line;
	size_t llen;
	int r;

	while (len > 0 && s->mode != SMTP_TLS) {
		if (dir == APP_DIR_TO_SERVER && s->mode == SMTP_BDAT) {
			size_t n = bdat_bytes(f, s, p, len);

			p += n;
			len -= n;
			continue;
		}
		if ((r = app_line_next(f, &s->line[dir], &p, &len, &line, &llen)) == 0)
			break;
		if (r < 0) {
			f->dead[dir] = true;
			return 0;
		}
		if (s->line[dir].cut)
			f->events |= APP_EV_SMTP_MALFORMED;
		if (dir == APP_DIR_TO_CLIENT) {
			/* DATA refused (4yz/5yz instead of 354): no message follows. */
			if (llen >= 4 && line[3] == ' ')
				reply_final(s, line[0]);
			/* 220 to STARTTLS: TLS from here on, both ways (RFC 3207 4.2). */
			if (s->starttls && llen >= 4 && memcmp(line, "220 ", 4) == 0) {
				s->mode = SMTP_TLS;
				f->dead[0] = f->dead[1] = true;
			} else if (s->starttls && llen >= 4 && line[3] == ' ') {
				s->starttls = false;
			}
		} else if (s->mode == SMTP_DATA) {
			data_line(f, s, line, llen);
		} else {
			smtp_command(f, s, line, llen);
		}
	}
	return 0;
}

static int smtp_init(struct app_flow *f)
{
	struct smtp_state *s;
	int r = app_state_new(f, sizeof(*s));

	if (r != 0)
		return r;
	s = f->state;
	s->line[0].max = s->line[1].max = SMTP_LINE_MAX;
	return 0;
}

static void smtp_eof(struct app_flow *f, enum app_dir dir)
{
	struct smtp_state *s = f->state;

	if (dir == APP_DIR_TO_SERVER)
		tx_end(f, s);
}

static void smtp_fini(struct app_flow *f)
{
	struct smtp_state *s = f->state;

	app_line_free(f, &s->line[0]);
	app_line_free(f, &s->line[1]);
	app_state_free(f, sizeof(*s));
}

const struct app_parser app_parser_smtp = {
        .proto = APP_PROTO_SMTP,
        .init = smtp_init,
        .feed = smtp_feed,
        .eof = smtp_eof,
        .fini = smtp_fini,
};
