/* SPDX-License-Identifier: ISC */
/*
 * FTP (RFC 959) control connection and its data connections (ftp-data).
 *
 * Control: each command line to the server ("CMD SP argument CRLF", 4.1)
 * opens a transaction with ftp.command (the command, upper-cased) and
 * ftp.command_data (the argument); reply lines to the client ("xyz SP
 * text" or the "xyz-" lines of a multi-line reply, 4.2) go to the oldest
 * transaction still waiting for its final reply, and a final reply that
 * is not 1yz (preliminary) completes it. The data port comes from the
 * reply to PORT (RFC 959 4.1.2) or EPRT (RFC 2428 2), or from the 227
 * reply to PASV or the 229 reply to EPSV (RFC 2428 3). A RETR or STOR
 * after that posts an expectation (struct app_expect) for the owner, as
 * Suricata does: the data flow's file travels to its client for a passive
 * RETR or an active STOR, to its server otherwise.
 *
 * ftp-data: a flow the owner matched to an expectation. Its one
 * transaction holds the transferred bytes as file.data in the direction
 * they travel (up to app_cfg.body_limit) and ftpdata_command ("retr" to
 * the client, "stor" to the server, where Suricata's ftpdata_command
 * matches).
 *
 * Limits: control lines are read up to FTP_LINE_MAX bytes (longer ones are
 * cut, an event); transactions are capped by app_cfg.max_txs.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"

enum ftp_const {
	FTP_LINE_MAX = 4096, /* Suricata's default ftp max-line-length */
	FTP_CMD_MAX = 16,    /* longest command word kept */
};

struct ftp_state {
	struct app_line line[2];
	uint16_t dyn_port; /* negotiated data port, 0 when none */
	bool active;       /* from PORT/EPRT: the server connects to the client */
	uint8_t port_arg[64];
	size_t nport_arg;
	char last[5]; /* the latest command word (up to 4 letters), as Suricata tracks it */
};

/* A port number 1..65535 from decimal digits p[0..n). */
static int parse_u16(const uint8_t *p, size_t n, uint16_t *out)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return BW_ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit(p[i]))
			return BW_ERR_INVAL;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return BW_ERR_INVAL;
	*out = (uint16_t)v;
	return 0;
}

/*
 * "h1,h2,h3,h4,p1,p2" (PORT argument, PASV reply): the port p1 * 256 + p2.
 * The six numbers are the last six comma-separated ones of p.
 */
static uint16_t port_from_six(const uint8_t *p, size_t len)
{
	unsigned v[6] = {0}, k = 0, cur = 0, digits = 0;
	size_t i = 0;

	/* Start at the first digit (PASV replies have text before the numbers). */
	while (i < len && !isdigit(p[i]))
		i++;
	for (; i < len && k < 6; i++) {
		if (isdigit(p[i])) {
			if (++digits > 3)
				return 0;
			cur = cur * 10 + (unsigned)(p[i] - '0');
		} else if (p[i] == ',' && digits > 0) {
			v[k++] = cur;
			cur = digits = 0;
		} else {
			break;
		}
	}
	if (k == 5 && digits > 0)
		v[k++] = cur;
	if (k != 6)
		return 0;
	for (int j = 0; j < 6; j++)
		if (v[j] > 255)
			return 0;
	return (uint16_t)(v[4] * 256 + v[5]);
}

/*
 * The port field of "<d>net-prt<d>net-addr<d>tcp-port<d>" (RFC 2428 2, EPRT)
 * or "(<d><d><d>tcp-port<d>)" (3, the EPSV reply): the field after the
 * third delimiter.
 */
static uint16_t port_from_ext(const uint8_t *p, size_t len)
{
	size_t i = 0, start;
	uint8_t delim;
	uint16_t port;
	int seen = 0;

	if (len > 0 && p[0] == '(') {
		i = 1;
	} else {
		/* The EPSV reply: the argument is in parentheses after the text. */
		const uint8_t *o = memchr(p, '(', len);

		if (o != NULL)
			i = (size_t)(o - p) + 1;
	}
	if (i >= len)
		return 0;
	delim = p[i];
	if (delim < 33 || delim > 126)
		return 0;
	for (; i < len && seen < 3; i++)
		if (p[i] == delim)
			seen++;
	if (seen < 3)
		return 0;
	for (start = i; i < len && p[i] != delim; i++)
		;
	if (i == len || parse_u16(p + start, i - start, &port) != 0)
		return 0;
	return port;
}

static bool word_is(const uint8_t *w, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(w, s, n) == 0;
}

static void command(struct app_flow *f, struct ftp_state *s, const uint8_t *p, size_t len)
{
	uint8_t cmd[FTP_CMD_MAX];
	size_t n = 0, a;
	struct app_tx *tx;
	const enum app_dir d = APP_DIR_TO_SERVER;

	while (n < len && p[n] != ' ' && n < FTP_CMD_MAX) {
		cmd[n] = (uint8_t)toupper(p[n]);
		n++;
	}
	if (n == 0 || (n < len && p[n] != ' '))
		return; /* not a command word */
	for (a = n; a < len && p[a] == ' '; a++)
		;
	if ((tx = app_tx_new(f, APP_PROTO_FTP)) == NULL)
		return;
	if (app_tx_buf_add(f, tx, d, IPS_BUF_FTP_COMMAND, cmd, n) == 0)
		tx->u.ftp.command = app_tx_buf_str(tx, d, IPS_BUF_FTP_COMMAND);
	if (a < len && app_tx_buf_add(f, tx, d, IPS_BUF_FTP_COMMAND_DATA, p + a, len - a) == 0)
		tx->u.ftp.command_data = app_tx_buf_str(tx, d, IPS_BUF_FTP_COMMAND_DATA);
	tx->flags |= APP_TX_REQ_HDRS | APP_TX_REQ_DONE;
	app_tx_mark(tx, d);
	memset(s->last, 0, sizeof(s->last));
	memcpy(s->last, cmd, n < 4 ? n : 4);
	if (word_is(cmd, n, "PORT") || word_is(cmd, n, "EPRT")) {
		/* The port counts once the server has answered. */
		s->nport_arg = len - a < sizeof(s->port_arg) ? len - a : sizeof(s->port_arg);
		memcpy(s->port_arg, p + a, s->nport_arg);
	} else if ((word_is(cmd, n, "RETR") || word_is(cmd, n, "STOR")) && s->dyn_port != 0 &&
	           a < len) {
		struct app_expect e;
		size_t fl = len - a < APP_FTP_NAME_MAX ? len - a : APP_FTP_NAME_MAX;

		memset(&e, 0, sizeof(e));
		e.port = s->dyn_port;
		e.stor = cmd[0] == 'S';
		e.to_server = !((s->active && e.stor) || (!s->active && !e.stor));
		memcpy(e.name, p + a, fl);
		e.name[fl] = '\0';
		app_expect_post(f, &e);
		s->dyn_port = 0;
		s->active = false;
	}
}

/* The oldest transaction without its final reply (a new one for a greeting). */
static struct app_tx *reply_tx(struct app_flow *f)
{
	for (struct app_tx *tx = f->txs; tx != NULL; tx = tx->next)
		if (tx->proto == APP_PROTO_FTP && !(tx->flags & APP_TX_RES_DONE))
			return tx;
	return app_tx_new(f, APP_PROTO_FTP);
}

static void reply(struct app_flow *f, struct ftp_state *s, const uint8_t *p, size_t len)
{
	struct app_tx *tx;
	const char *c;
	bool final, ok;
	uint16_t port = 0;

	if (len < 3 || !isdigit(p[0]) || !isdigit(p[1]) || !isdigit(p[2]))
		return; /* a text line of a multi-line reply */
	final = len == 3 || p[3] == ' ';
	if ((tx = reply_tx(f)) == NULL)
		return;
	ok = (tx->u.ftp.reply = app_tx_strdup(f, tx, len > 4 ? p + 4 : p + len,
	                                      len > 4 ? len - 4 : 0)) != NULL;
	if (ok)
		tx->u.ftp.completion_code = app_tx_strdup(f, tx, p, 3);
	/*
	 * The reply's own command, or the latest one sent when the replies
	 * before were lost (Suricata only knows the latest).
	 */
	c = tx->u.ftp.command;
	if (len >= 4 && (memcmp(p, "227 ", 4) == 0 || memcmp(p, "229 ", 4) == 0))
		c = s->last;
	if (c != NULL && (strcmp(c, "PORT") == 0 || strcmp(c, "EPRT") == 0) && s->nport_arg > 0) {
		/* Suricata takes the port once any reply has come. */
		port = c[0] == 'P' ? port_from_six(s->port_arg, s->nport_arg)
		                   : port_from_ext(s->port_arg, s->nport_arg);
		s->nport_arg = 0;
		if (port != 0)
			s->active = true;
	} else if (c != NULL && strcmp(c, "PASV") == 0 && len >= 4 && memcmp(p, "227 ", 4) == 0) {
		port = port_from_six(p + 4, len - 4);
		s->active = false;
	} else if (c != NULL && strcmp(c, "EPSV") == 0 && len >= 4 && memcmp(p, "229 ", 4) == 0) {
		port = port_from_ext(p + 4, len - 4);
		s->active = false;
	}
	if (port != 0) {
		s->dyn_port = port;
		tx->u.ftp.dynamic_port = port;
		tx->u.ftp.mode = s->active ? "active" : "passive";
	}
	tx->flags |= APP_TX_RES_HDRS;
	/* 1yz is preliminary (RFC 959 4.2): the final reply is still to come. */
	if (final && p[0] != '1')
		tx->flags |= APP_TX_RES_DONE | APP_TX_COMPLETE;
	app_tx_mark(tx, APP_DIR_TO_CLIENT);
}

static int ftp_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct ftp_state *s = f->state;
	const uint8_t *line;
	size_t llen;
	int r;

	while ((r = app_line_next(f, &s->line[dir], &p, &len, &line, &llen)) != 0) {
		if (r < 0) {
			f->dead[dir] = true;
			return 0;
		}
		if (s->line[dir].cut)
			f->events |= APP_EV_FTP_MALFORMED;
		if (dir == APP_DIR_TO_SERVER)
			command(f, s, line, llen);
		else
			reply(f, s, line, llen);
	}
	return 0;
}

static int ftp_init(struct app_flow *f)
{
	struct ftp_state *s;
	int r = app_state_new(f, sizeof(*s));

	if (r != 0)
		return r;
	s = f->state;
	s->line[0].max = s->line[1].max = FTP_LINE_MAX;
	return 0;
}

static void ftp_eof(struct app_flow *f, enum app_dir dir)
{
	/* Commands left without a final reply are complete once the server side ends. */
	if (dir != APP_DIR_TO_CLIENT)
		return;
	for (struct app_tx *tx = f->txs; tx != NULL; tx = tx->next)
		tx->flags |= APP_TX_COMPLETE;
}

static void ftp_fini(struct app_flow *f)
{
	struct ftp_state *s = f->state;

	app_line_free(f, &s->line[0]);
	app_line_free(f, &s->line[1]);
	app_state_free(f, sizeof(*s));
}

const struct app_parser app_parser_ftp = {
        .proto = APP_PROTO_FTP,
        .init = ftp_init,
        .feed = ftp_feed,
        .eof = ftp_eof,
        .fini = ftp_fini,
};

/* ---- ftp-data ---- */

struct ftp_data_state {
	enum app_dir dir; /* where the file travels */
	struct app_tx *tx;
};

int app_ftp_data_start(struct app_flow *f, const struct app_expect *e)
{
	struct ftp_data_state *s;
	struct app_tx *tx;
	enum app_dir cd = e->stor ? APP_DIR_TO_SERVER : APP_DIR_TO_CLIENT;
	const char *cmd = e->stor ? "stor" : "retr";
	const char *z = memchr(e->name, '\0', sizeof(e->name));
	size_t nl = z != NULL ? (size_t)(z - e->name) : APP_FTP_NAME_MAX;
	int r = app_state_new(f, sizeof(*s));

	if (r != 0)
		return r;
	s = f->state;
	s->dir = e->to_server ? APP_DIR_TO_SERVER : APP_DIR_TO_CLIENT;
	f->proto = APP_PROTO_FTP_DATA;
	f->parser = &app_parser_ftp_data;
	if ((tx = app_tx_new(f, APP_PROTO_FTP_DATA)) == NULL)
		return BW_ERR_LIMIT;
	s->tx = tx;
	/* Suricata's ftpdata_command: RETR matches to the client, STOR to the server. */
	if (app_tx_buf_add(f, tx, cd, IPS_BUF_FTPDATA_COMMAND, cmd, 4) != 0)
		return BW_ERR_LIMIT;
	tx->u.ftp_data.command = e->stor ? "STOR" : "RETR";
	tx->u.ftp_data.filename = app_tx_strdup(f, tx, e->name, nl);
	/* The transfer is the generic file of its direction (file.name, fileext, digests). */
	if (app_file_open(f, tx, s->dir, e->name, nl) != 0)
		return BW_ERR_LIMIT;
	/* Both directions inspect the command, whichever carries the data. */
	app_tx_mark(tx, APP_DIR_TO_SERVER);
	app_tx_mark(tx, APP_DIR_TO_CLIENT);
	return 0;
}

static int ftp_data_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct ftp_data_state *s = f->state;

	/* Bytes against the transfer's direction are not part of the file. */
	if (dir != s->dir || s->tx == NULL)
		return 0;
	if (app_tx_buf_append(f, s->tx, dir, IPS_BUF_FILE_DATA, p, len, f->ctx->cfg.body_limit) !=
	    0)
		f->events |= APP_EV_BODY_TRUNC;
	app_file_data(f, s->tx, dir, p, len);
	/* The first data shows ftpdata_command; the file waits (app_tx_body). */
	if (s->tx->body_seen[dir] == 0)
		app_tx_mark(s->tx, dir);
	s->tx->flags |= dir == APP_DIR_TO_SERVER ? APP_TX_REQ_HDRS : APP_TX_RES_HDRS;
	app_tx_body(s->tx, dir, len);
	return 0;
}

static int ftp_data_init(struct app_flow *f)
{
	(void)f;
	return BW_ERR_INVAL; /* only through app_ftp_data_start() */
}

static void ftp_data_eof(struct app_flow *f, enum app_dir dir)
{
	struct ftp_data_state *s = f->state;

	if (s->tx == NULL || dir != s->dir)
		return;
	app_file_close(f, s->tx, dir, true);
	s->tx->flags |= dir == APP_DIR_TO_SERVER ? APP_TX_REQ_DONE : APP_TX_RES_DONE;
	app_tx_mark(s->tx, dir);
}

static void ftp_data_fini(struct app_flow *f)
{
	app_mem_give(f, sizeof(struct ftp_data_state));
	free(f->state);
	f->state = NULL;
}

const struct app_parser app_parser_ftp_data = {
        .proto = APP_PROTO_FTP_DATA,
        .init = ftp_data_init,
        .feed = ftp_data_feed,
        .eof = ftp_data_eof,
        .fini = ftp_data_fini,
};
