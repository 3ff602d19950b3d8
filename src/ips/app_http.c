/* SPDX-License-Identifier: ISC */
/*
 * HTTP/1.x (RFC 9112) through libhtp 0.5: each direction's stream bytes go
 * to htp_connp_req_data / htp_connp_res_data; libhtp's hooks copy what the
 * rules and the log need into our transaction (struct app_tx), so libhtp
 * may destroy its own transactions when they complete. Buffers follow
 * Suricata's definitions:
 *  - http.uri: libhtp's normalised parsed URI, path[?query][#fragment],
 *    the query URL-decoded ('+' kept), as Suricata 7 composes it;
 *    http.raw_uri the request-target as sent;
 *  - http.header: "Name: value\r\n" per header in arrival order, without
 *    Cookie (requests) or Set-Cookie (responses), no closing CRLF;
 *    http.header_names: "\r\n" then "Name\r\n" per header, then "\r\n";
 *    http.raw_header: the header block bytes as libhtp received them;
 *  - http.start: the start line, CRLF, the header lines and a final CRLF;
 *  - http.host: the normalised host (lowercase, no port); http.raw_host the
 *    Host header value;
 *  - bodies dechunked and (responses) gzip/deflate-decoded by libhtp, kept
 *    and inspected up to app_cfg.http_body_limit (Suricata's 100 KiB
 *    request-/response-body-limit; the file ends truncated there);
 *    file.data is the response body to the client (http.response_body
 *    names it too, as in Suricata 7) and the request body to the server,
 *    which http.request_body also holds.
 * Buffers are stored per direction (headers of both sides share names).
 *
 * When libhtp cannot go on in one direction until the other has been seen
 * (HTP_STREAM_DATA_OTHER: a response before its request is complete, or a
 * CONNECT), the unconsumed bytes are held, capped, and replayed after the
 * other direction moves, as Suricata does.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <htp/htp.h>

#include "ips/app_int.h"
#include "lib/err.h"

enum {
	HTTP_HOLD_MAX = 64 * 1024, /* bytes held while libhtp waits for the other side */
};

struct http_state {
	htp_connp_t *connp;
	uint8_t *held[2];
	size_t nheld[2];
	bool in_feed;
	size_t log_seen; /* libhtp messages already turned into events */
};

/* libhtp's bstr_ptr() macro casts the const away; its data is only read here. */
static const uint8_t *bptr(const bstr *b)
{
	return bstr_ptr((bstr *)(uintptr_t)b);
}

static struct app_flow *flow_of(const htp_tx_t *tx)
{
	return htp_connp_get_user_data(tx->connp);
}

/* Our transaction for tx, created on first sight. */
static struct app_tx *tx_of(htp_tx_t *htx)
{
	struct app_tx *tx = htp_tx_get_user_data(htx);
	struct app_flow *f = flow_of(htx);

	if (tx != NULL || f == NULL)
		return tx;
	/* A failed creation (cap) leaves libhtp's tx without ours: it is not inspected. */
	if ((tx = app_tx_new(f, APP_PROTO_HTTP)) != NULL)
		htp_tx_set_user_data(htx, tx);
	return tx;
}

static int add_bstr(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                    const bstr *s)
{
	if (s == NULL)
		return 0;
	return app_tx_buf_add(f, tx, dir, b, bptr(s), bstr_len(s));
}

static bool name_is(const htp_header_t *h, const char *name)
{
	size_t n = strlen(name);
	const unsigned char *p = bstr_ptr(h->name);

	if (bstr_len(h->name) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)name[i])
			return false;
	}
	return true;
}

/*
 * The pieces of one header buffer, appended HDR_PIECES at a time
 * (app_tx_buf_appendv): a header block is dozens of small pieces, which
 * appended one by one cost 28,000 calls for mix-base's 376 blocks.
 */
enum { HDR_PIECES = 64 };
struct hdr_out {
	struct app_flow *f;
	struct app_tx *tx;
	enum app_dir dir;
	enum ips_buf b;
	size_t lim;
	size_t n;
	int r; /* the first error; nothing more is appended after it */
	struct app_piece v[HDR_PIECES];
};

static void ho_flush(struct hdr_out *o)
{
	if (o->n && o->r == 0)
		o->r = app_tx_buf_appendv(o->f, o->tx, o->dir, o->b, o->v, o->n, o->lim);
	o->n = 0;
}

static void ho_put(struct hdr_out *o, const void *p, size_t len)
{
	if (o->n == HDR_PIECES)
		ho_flush(o);
	o->v[o->n++] = (struct app_piece){p, len};
}

/* Builds http.header, http.header_names and http.start for one side. */
static int header_bufs(struct app_flow *f, struct app_tx *tx, enum app_dir dir,
                       const htp_table_t *hdrs, const bstr *line)
{
	const char *skip = dir == APP_DIR_TO_SERVER ? "cookie" : "set-cookie";
	size_t n = hdrs != NULL ? htp_table_size(hdrs) : 0, lim = f->ctx->cfg.flow_memcap;
	int r = 0;

	/* Each buffer starts empty so that a header-less message still has them. */
	if ((r = app_tx_buf_append(f, tx, dir, IPS_BUF_HTTP_HEADER_NAMES, "\r\n", 2, lim)) != 0 ||
	    (r = app_tx_buf_add(f, tx, dir, IPS_BUF_HTTP_HEADER, "", 0)) != 0 ||
	    (r = app_tx_buf_add(f, tx, dir, IPS_BUF_HTTP_START, "", 0)) != 0)
		return r;
	struct hdr_out o[3] = {{f, tx, dir, IPS_BUF_HTTP_HEADER_NAMES, lim, 0, 0, {{0}}},
	                       {f, tx, dir, IPS_BUF_HTTP_START, lim, 0, 0, {{0}}},
	                       {f, tx, dir, IPS_BUF_HTTP_HEADER, lim, 0, 0, {{0}}}};
	if (line != NULL) {
		ho_put(&o[1], bptr(line), bstr_len(line));
		ho_put(&o[1], "\r\n", 2);
	}
	for (size_t i = 0; i < n; i++) {
		const htp_header_t *h = htp_table_get_index(hdrs, i, NULL);

		if (h == NULL)
			continue;
		ho_put(&o[0], bstr_ptr(h->name), bstr_len(h->name));
		ho_put(&o[0], "\r\n", 2);
		for (int k = 1; k <= 2; k++) {
			if (k == 2 && name_is(h, skip))
				continue;
			ho_put(&o[k], bstr_ptr(h->name), bstr_len(h->name));
			ho_put(&o[k], ": ", 2);
			ho_put(&o[k], bstr_ptr(h->value), bstr_len(h->value));
			ho_put(&o[k], "\r\n", 2);
		}
	}
	ho_put(&o[0], "\r\n", 2);
	ho_put(&o[1], "\r\n", 2);
	for (int k = 0; k < 3; k++) {
		ho_flush(&o[k]);
		if (r == 0)
			r = o[k].r;
	}
	return r;
}

/* A single-header buffer: the value of the first header called name (libhtp's match). */
struct hdr_want {
	const char *name;
	size_t len;
	enum ips_buf b;
};

/*
 * The single-header buffers of wants in one pass over the headers, each
 * from the first header that htp_table_get_c() would return for its name
 * (case-insensitive, NUL bytes in the header's name ignored); stops at the
 * first error.
 */
static int header_singles(struct app_flow *f, struct app_tx *tx, enum app_dir dir,
                          const htp_table_t *hdrs, const struct hdr_want *w, size_t nw)
{
	size_t n = hdrs != NULL ? htp_table_size(hdrs) : 0;
	uint32_t done = 0, all = (uint32_t)((1ull << nw) - 1);
	int r = 0;

	for (size_t i = 0; i < n && done != all && r == 0; i++) {
		const htp_header_t *h = htp_table_get_index(hdrs, i, NULL);

		if (h == NULL || h->name == NULL)
			continue;
		size_t hl = bstr_len(h->name);
		bool nul = memchr(bstr_ptr(h->name), 0, hl) != NULL;
		for (size_t k = 0; k < nw && r == 0; k++) {
			if ((done & (1u << k)) || (nul ? hl < w[k].len : hl != w[k].len) ||
			    bstr_cmp_c_nocasenorzero(h->name, w[k].name) != 0)
				continue;
			done |= 1u << k;
			r = add_bstr(f, tx, dir, w[k].b, h->value);
		}
	}
	return r;
}

#define HDR_WANT(n, b)                                                                             \
	{                                                                                          \
		n, sizeof(n) - 1, b                                                                \
	}

static const char *str_of(const struct app_tx *tx, enum app_dir dir, enum ips_buf b)
{
	return app_tx_buf_str(tx, dir, b);
}

/* The normalised URI as Suricata composes it from libhtp's parsed URI. */
static int norm_uri(struct app_flow *f, struct app_tx *tx, const htp_tx_t *htx)
{
	const htp_uri_t *u = htx->parsed_uri;
	const enum app_dir d = APP_DIR_TO_SERVER;
	size_t lim = f->ctx->cfg.flow_memcap;
	int r;

	if (u == NULL)
		return 0;
	if ((r = app_tx_buf_add(f, tx, d, IPS_BUF_HTTP_URI, "", 0)) != 0)
		return r;
	if (u->path != NULL && (r = app_tx_buf_append(f, tx, d, IPS_BUF_HTTP_URI, bstr_ptr(u->path),
	                                              bstr_len(u->path), lim)) != 0)
		return r;
	if (u->query != NULL) {
		/* Suricata's SCHTPGenerateNormalizedUri decodes a copy of the query. */
		bstr *q = bstr_dup(u->query);
		uint64_t flags = 0;
		if (q == NULL)
			return BW_ERR_NOMEM;
		(void)htp_urldecode_inplace(htx->cfg, HTP_DECODER_URLENCODED, q, &flags);
		if ((r = app_tx_buf_append(f, tx, d, IPS_BUF_HTTP_URI, "?", 1, lim)) == 0)
			r = app_tx_buf_append(f, tx, d, IPS_BUF_HTTP_URI, bstr_ptr(q), bstr_len(q),
			                      lim);
		bstr_free(q);
		if (r != 0)
			return r;
	}
	if (u->fragment != NULL &&
	    ((r = app_tx_buf_append(f, tx, d, IPS_BUF_HTTP_URI, "#", 1, lim)) != 0 ||
	     (r = app_tx_buf_append(f, tx, d, IPS_BUF_HTTP_URI, bstr_ptr(u->fragment),
	                            bstr_len(u->fragment), lim)) != 0))
		return r;
	return 0;
}

/* http.host: libhtp's hostname (from the URI or Host, port removed), lowercased. */
static int host_buf(struct app_flow *f, struct app_tx *tx, const bstr *h)
{
	size_t n;
	uint8_t *low;
	int r;

	if (h == NULL)
		return 0;
	n = bstr_len(h);
	if ((low = malloc(n + 1)) == NULL)
		return BW_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = bptr(h)[i];

		low[i] = c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
	}
	r = app_tx_buf_add(f, tx, APP_DIR_TO_SERVER, IPS_BUF_HTTP_HOST, low, n);
	free(low);
	return r;
}

/*
 * The request line's buffers, which Suricata inspects as soon as the line
 * is parsed (before the headers, which may never complete).
 */
static int on_request_line(htp_tx_t *htx)
{
	struct app_tx *tx = tx_of(htx);
	struct app_flow *f = flow_of(htx);
	const enum app_dir d = APP_DIR_TO_SERVER;
	struct app_http_info *e;

	if (tx == NULL || f == NULL)
		return HTP_OK;
	e = &tx->u.http;
	(void)(norm_uri(f, tx, htx) || add_bstr(f, tx, d, IPS_BUF_HTTP_RAW_URI, htx->request_uri) ||
	       add_bstr(f, tx, d, IPS_BUF_HTTP_METHOD, htx->request_method) ||
	       add_bstr(f, tx, d, IPS_BUF_HTTP_PROTOCOL, htx->request_protocol) ||
	       add_bstr(f, tx, d, IPS_BUF_HTTP_REQUEST_LINE, htx->request_line));
	e->url = str_of(tx, d, IPS_BUF_HTTP_RAW_URI);
	e->http_method = str_of(tx, d, IPS_BUF_HTTP_METHOD);
	e->protocol = str_of(tx, d, IPS_BUF_HTTP_PROTOCOL);
	app_tx_mark(tx, d);
	return HTP_OK;
}

static int on_request_headers(htp_tx_t *htx)
{
	struct app_tx *tx = tx_of(htx);
	struct app_flow *f = flow_of(htx);
	const enum app_dir d = APP_DIR_TO_SERVER;
	const htp_table_t *h = htx->request_headers;
	struct app_http_info *e;

	if (tx == NULL || f == NULL)
		return HTP_OK;
	e = &tx->u.http;
	static const struct hdr_want want[] = {
	        HDR_WANT("host", IPS_BUF_HTTP_RAW_HOST),
	        HDR_WANT("user-agent", IPS_BUF_HTTP_USER_AGENT),
	        HDR_WANT("cookie", IPS_BUF_HTTP_COOKIE),
	        HDR_WANT("content-type", IPS_BUF_HTTP_CONTENT_TYPE),
	        HDR_WANT("content-length", IPS_BUF_HTTP_CONTENT_LEN),
	        HDR_WANT("referer", IPS_BUF_HTTP_REFERER),
	        HDR_WANT("accept", IPS_BUF_HTTP_ACCEPT),
	        HDR_WANT("accept-encoding", IPS_BUF_HTTP_ACCEPT_ENC),
	        HDR_WANT("accept-language", IPS_BUF_HTTP_ACCEPT_LANG),
	        HDR_WANT("connection", IPS_BUF_HTTP_CONNECTION),
	};
	(void)(host_buf(f, tx, htx->request_hostname) ||
	       header_singles(f, tx, d, h, want, sizeof(want) / sizeof(want[0])) ||
	       header_bufs(f, tx, d, h, htx->request_line));
	e->hostname = str_of(tx, d, IPS_BUF_HTTP_HOST);
	e->http_user_agent = str_of(tx, d, IPS_BUF_HTTP_USER_AGENT);
	e->http_refer = str_of(tx, d, IPS_BUF_HTTP_REFERER);
	/* Suricata's request flag check: a Transfer-Encoding other than chunked. */
	if (htx->flags & HTP_REQUEST_INVALID_T_E)
		app_tx_raise(tx, d, APP_TXEV_HTTP_REQ_INVALID_TE);
	tx->flags |= APP_TX_REQ_HDRS;
	app_tx_mark(tx, d);
	return HTP_OK;
}

/*
 * The status line's buffers, inspected once it is parsed. An interim
 * 100-continue response is replaced by the final one (RFC 9110 15.2):
 * libhtp calls this again for the final line, and what the interim one
 * built is dropped, except http.header.raw, which, as Suricata's, keeps
 * every header block of the response.
 */
static int on_response_line(htp_tx_t *htx)
{
	struct app_tx *tx = tx_of(htx);
	struct app_flow *f = flow_of(htx);
	const enum app_dir d = APP_DIR_TO_CLIENT;

	if (tx == NULL || f == NULL)
		return HTP_OK;
	for (int b = 0; b < IPS_BUF__COUNT; b++)
		if (tx->first[d][b] >= 0 && b != IPS_BUF_HTTP_RESPONSE_BODY &&
		    b != IPS_BUF_FILE_DATA && b != IPS_BUF_HTTP_RAW_HEADER)
			app_tx_buf_clear(tx, d, (enum ips_buf)b);
	(void)(add_bstr(f, tx, d, IPS_BUF_HTTP_STAT_CODE, htx->response_status) ||
	       add_bstr(f, tx, d, IPS_BUF_HTTP_STAT_MSG, htx->response_message) ||
	       add_bstr(f, tx, d, IPS_BUF_HTTP_RESPONSE_LINE, htx->response_line) ||
	       add_bstr(f, tx, d, IPS_BUF_HTTP_PROTOCOL, htx->response_protocol));
	tx->u.http.status = htx->response_status_number > 0 ? htx->response_status_number : 0;
	app_tx_mark(tx, d);
	return HTP_OK;
}

/* The response's header buffers, from libhtp's header table. */
static void response_bufs(struct app_flow *f, struct app_tx *tx, htp_tx_t *htx)
{
	const enum app_dir d = APP_DIR_TO_CLIENT;
	const htp_table_t *h = htx->response_headers;
	struct app_http_info *e = &tx->u.http;

	static const struct hdr_want want[] = {
	        HDR_WANT("location", IPS_BUF_HTTP_LOCATION),
	        HDR_WANT("server", IPS_BUF_HTTP_SERVER),
	        HDR_WANT("set-cookie", IPS_BUF_HTTP_COOKIE),
	        HDR_WANT("content-type", IPS_BUF_HTTP_CONTENT_TYPE),
	        HDR_WANT("content-length", IPS_BUF_HTTP_CONTENT_LEN),
	        HDR_WANT("connection", IPS_BUF_HTTP_CONNECTION),
	};
	(void)(header_singles(f, tx, d, h, want, sizeof(want) / sizeof(want[0])) ||
	       header_bufs(f, tx, d, h, htx->response_line));
	e->http_content_type = str_of(tx, d, IPS_BUF_HTTP_CONTENT_TYPE);
	e->redirect = str_of(tx, d, IPS_BUF_HTTP_LOCATION);
	tx->flags |= APP_TX_RES_HDRS;
	app_tx_mark(tx, d);
}

static int on_response_headers(htp_tx_t *htx)
{
	struct app_tx *tx = tx_of(htx);
	struct app_flow *f = flow_of(htx);

	if (tx != NULL && f != NULL)
		response_bufs(f, tx, htx);
	return HTP_OK;
}

/* Raw header block bytes, as libhtp hands them over (possibly in pieces). */
static int header_data(htp_tx_data_t *d, enum app_dir dir)
{
	struct app_tx *tx = tx_of(d->tx);
	struct app_flow *f = flow_of(d->tx);

	if (tx == NULL || f == NULL || d->data == NULL)
		return HTP_OK;
	(void)app_tx_buf_append(f, tx, dir, IPS_BUF_HTTP_RAW_HEADER, d->data, d->len,
	                        f->ctx->cfg.body_limit);
	return HTP_OK;
}

static int on_request_header_data(htp_tx_data_t *d)
{
	return header_data(d, APP_DIR_TO_SERVER);
}

static int on_response_header_data(htp_tx_data_t *d)
{
	return header_data(d, APP_DIR_TO_CLIENT);
}

/*
 * The name of a body's file, as Suricata gives it: the filename= parameter
 * of Content-Disposition (quotes removed), else the URI path.
 */
static void file_name(const htp_tx_t *htx, enum app_dir dir, const uint8_t **p, size_t *n)
{
	const htp_table_t *hdrs =
	        dir == APP_DIR_TO_SERVER ? htx->request_headers : htx->response_headers;
	const htp_header_t *h = hdrs != NULL ? htp_table_get_c(hdrs, "content-disposition") : NULL;
	static const char key[] = "filename=";

	*p = NULL;
	*n = 0;
	if (h != NULL && h->value != NULL) {
		const uint8_t *v = bptr(h->value);
		size_t len = bstr_len(h->value), k = sizeof(key) - 1;

		for (size_t i = 0; i + k <= len; i++) {
			if (memcmp(v + i, key, k) != 0)
				continue;
			size_t s = i + k, e = s;

			while (e < len && v[e] != ';')
				e++;
			if (e - s >= 2 && v[s] == '"' && v[e - 1] == '"') {
				s++;
				e--;
			}
			if (e > s) {
				*p = v + s;
				*n = e - s;
				return;
			}
			break;
		}
	}
	if (htx->parsed_uri != NULL && htx->parsed_uri->path != NULL) {
		*p = bptr(htx->parsed_uri->path);
		*n = bstr_len(htx->parsed_uri->path);
	}
}

static int body_data(htp_tx_data_t *d, enum app_dir dir)
{
	struct app_tx *tx = tx_of(d->tx);
	struct app_flow *f = flow_of(d->tx);
	uint64_t lim;
	size_t len;

	if (tx == NULL || f == NULL || d->data == NULL || d->len == 0)
		return HTP_OK;
	if (dir == APP_DIR_TO_CLIENT)
		tx->u.http.length += d->len;
	/*
	 * Past the body limit (Suricata's request-/response-body-limit) the
	 * body is neither kept nor inspected: its file ends truncated there.
	 */
	lim = f->ctx->cfg.http_body_limit[dir];
	if (lim != 0 && tx->body_seen[dir] >= lim) {
		app_file_close(f, tx, dir, false);
		return HTP_OK;
	}
	len = lim != 0 && d->len > lim - tx->body_seen[dir] ? (size_t)(lim - tx->body_seen[dir])
	                                                    : d->len;
	/* An announced length (capped by the limit) is reserved at once. */
	int64_t cl = dir == APP_DIR_TO_SERVER ? d->tx->request_content_length
	                                      : d->tx->response_content_length;
	if (tx->body_seen[dir] == 0 && cl > 0) {
		uint64_t want = lim != 0 && (uint64_t)cl > lim ? lim : (uint64_t)cl;
		if (dir == APP_DIR_TO_SERVER)
			(void)app_tx_buf_reserve(f, tx, dir, IPS_BUF_HTTP_REQUEST_BODY, want);
		(void)app_tx_buf_reserve(f, tx, dir, IPS_BUF_FILE_DATA, want);
	}
	/*
	 * Every body is a file (Suricata's view), except a multipart request's,
	 * whose parts are (on_request_file_data); digests see every byte kept.
	 */
	if (tx->nfiles[dir] == 0 && !(dir == APP_DIR_TO_SERVER && d->tx->request_mpartp != NULL)) {
		const uint8_t *name;
		size_t nlen;

		file_name(d->tx, dir, &name, &nlen);
		(void)app_file_open(f, tx, dir, name, nlen);
	}
	if (!(dir == APP_DIR_TO_SERVER && d->tx->request_mpartp != NULL))
		app_file_data(f, tx, dir, d->data, len);
	/* The response body is file.data only: http.response_body is the same buffer. */
	if ((dir == APP_DIR_TO_SERVER && app_tx_buf_append(f, tx, dir, IPS_BUF_HTTP_REQUEST_BODY,
	                                                   d->data, len, SIZE_MAX) != 0) ||
	    app_tx_buf_append(f, tx, dir, IPS_BUF_FILE_DATA, d->data, len, SIZE_MAX) != 0)
		f->events |= APP_EV_BODY_TRUNC;
	app_tx_body(tx, dir, len);
	if (len < d->len) /* cut at the limit */
		app_file_close(f, tx, dir, false);
	return HTP_OK;
}

/*
 * libhtp's multipart parser names no transaction in its file callback: the
 * request being parsed is the connection's current one, which push() records
 * for the duration of its call.
 */
static _Thread_local htp_connp_t *cur_connp;

/* A file part of a multipart/form-data request: data, then NULL at its end. */
static int on_request_file_data(htp_file_data_t *fd)
{
	htp_tx_t *htx = cur_connp != NULL ? htp_connp_get_in_tx(cur_connp) : NULL;
	struct app_tx *tx = htx != NULL ? tx_of(htx) : NULL;
	struct app_flow *f = htx != NULL ? flow_of(htx) : NULL;
	const enum app_dir d = APP_DIR_TO_SERVER;
	struct app_file *last;

	if (tx == NULL || f == NULL || fd->file == NULL)
		return HTP_OK;
	/* Parts past the request body limit are not inspected (body_data). */
	if (f->ctx->cfg.http_body_limit[d] != 0 &&
	    tx->body_seen[d] >= f->ctx->cfg.http_body_limit[d]) {
		app_file_close(f, tx, d, false);
		return HTP_OK;
	}
	last = app_file_last(tx, d);
	if (last == NULL || !last->open || last->src != fd->file) {
		const bstr *n = fd->file->filename;

		if (app_file_open(f, tx, d, n ? bptr(n) : NULL, n ? bstr_len(n) : 0) != 0)
			return HTP_OK;
		app_file_last(tx, d)->src = fd->file;
	}
	if (fd->data == NULL)
		app_file_close(f, tx, d, true);
	else
		app_file_data(f, tx, d, fd->data, fd->len);
	return HTP_OK;
}

static int on_request_body(htp_tx_data_t *d)
{
	return body_data(d, APP_DIR_TO_SERVER);
}

static int on_response_body(htp_tx_data_t *d)
{
	return body_data(d, APP_DIR_TO_CLIENT);
}

static int on_request_complete(htp_tx_t *htx)
{
	struct app_tx *tx = tx_of(htx);

	if (tx != NULL) {
		struct app_flow *f = flow_of(htx);

		if (f != NULL)
			app_file_close(f, tx, APP_DIR_TO_SERVER, !f->dead[APP_DIR_TO_SERVER]);
		tx->flags |= APP_TX_REQ_DONE;
		app_tx_mark(tx, APP_DIR_TO_SERVER);
		/* Suricata's request checks: an Authorization scheme libhtp does not know. */
		if (htx->request_auth_type == HTP_AUTH_UNRECOGNIZED)
			app_tx_raise(tx, APP_DIR_TO_SERVER, APP_TXEV_HTTP_REQ_AUTH_UNRECOGNIZED);
	}
	return HTP_OK;
}

static int on_response_complete(htp_tx_t *htx)
{
	struct app_tx *tx = tx_of(htx);
	struct app_flow *f = flow_of(htx);

	/*
	 * A connection closed inside the header block completes the response
	 * without the headers hook; the headers read so far are still the
	 * response's (Suricata inspects libhtp's table once the tx is done).
	 */
	if (tx != NULL && f != NULL && !(tx->flags & APP_TX_RES_HDRS) && htx->response_line != NULL)
		response_bufs(f, tx, htx);
	if (tx != NULL && f != NULL)
		app_file_close(f, tx, APP_DIR_TO_CLIENT, !f->dead[APP_DIR_TO_CLIENT]);
	if (tx != NULL) {
		tx->flags |= APP_TX_RES_DONE;
		app_tx_mark(tx, APP_DIR_TO_CLIENT);
	}
	return HTP_OK;
}

/* Both sides done: libhtp frees its tx after this, so ours lets go of it. */
static int on_tx_complete(htp_tx_t *htx)
{
	struct app_tx *tx = htp_tx_get_user_data(htx);

	if (tx != NULL) {
		tx->flags |= APP_TX_COMPLETE;
		htp_tx_set_user_data(htx, NULL);
	}
	return HTP_OK;
}

int app_http_ctx_init(struct app_ctx *ctx)
{
	htp_cfg_t *cfg = htp_config_create();

	if (cfg == NULL)
		return BW_ERR_NOMEM;
	/* Suricata's default personality, and its default decoding. */
	(void)htp_config_set_server_personality(cfg, HTP_SERVER_IDS);
	/* As Suricata: the IDS personality's lowercasing of the path is undone. */
	htp_config_set_convert_lowercase(cfg, HTP_DECODER_URL_PATH, 0);
	/*
	 * Suricata 7's other defaults: '+' in a query stays '+' when decoded
	 * (http.uri), request bodies are decompressed as responses are, and
	 * cookies are not parsed into a table (nothing here reads it).
	 */
	htp_config_set_plusspace_decode(cfg, HTP_DECODER_URLENCODED, 0);
	htp_config_set_request_decompression(cfg, 1);
	htp_config_set_parse_request_cookies(cfg, 0);
	htp_config_set_response_decompression(cfg, 1);
	htp_config_set_response_decompression_layer_limit(
	        cfg, ctx->cfg.http_decompress_layers ? (int)ctx->cfg.http_decompress_layers : 2);
	htp_config_set_compression_bomb_limit(cfg, ctx->cfg.body_limit);
	htp_config_set_tx_auto_destroy(cfg, 1);
	htp_config_set_field_limits(cfg, 9000, 18000);
	htp_config_register_request_line(cfg, on_request_line);
	htp_config_register_request_headers(cfg, on_request_headers);
	htp_config_register_request_header_data(cfg, on_request_header_data);
	htp_config_register_request_body_data(cfg, on_request_body);
	htp_config_register_multipart_parser(cfg);
	htp_config_register_request_file_data(cfg, on_request_file_data);
	htp_config_register_request_complete(cfg, on_request_complete);
	htp_config_register_response_line(cfg, on_response_line);
	htp_config_register_response_headers(cfg, on_response_headers);
	htp_config_register_response_header_data(cfg, on_response_header_data);
	htp_config_register_response_body_data(cfg, on_response_body);
	htp_config_register_response_complete(cfg, on_response_complete);
	htp_config_register_transaction_complete(cfg, on_tx_complete);
	ctx->htp_cfg = cfg;
	return 0;
}

void app_http_ctx_fini(struct app_ctx *ctx)
{
	if (ctx->htp_cfg != NULL)
		htp_config_destroy(ctx->htp_cfg);
	ctx->htp_cfg = NULL;
}

static int http_init(struct app_flow *f)
{
	struct http_state *s;

	if (!app_mem_take(f, sizeof(*s)))
		return BW_ERR_LIMIT;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return BW_ERR_NOMEM;
	if ((s->connp = htp_connp_create(f->ctx->htp_cfg)) == NULL) {
		free(s);
		return BW_ERR_NOMEM;
	}
	htp_connp_open(s->connp, NULL, 0, NULL, 0, NULL);
	htp_connp_set_user_data(s->connp, f);
	f->state = s;
	return 0;
}

static void http_fini(struct app_flow *f)
{
	struct http_state *s = f->state;

	/* Our transactions are freed by the flow; detach them from libhtp's first. */
	htp_connp_set_user_data(s->connp, NULL);
	htp_connp_destroy_all(s->connp);
	for (int d = 0; d < 2; d++) {
		app_mem_give(f, s->nheld[d]);
		free(s->held[d]);
	}
	app_mem_give(f, sizeof(*s));
	free(s);
	f->state = NULL;
}

/* Hands bytes to libhtp; returns how many it took, or SIZE_MAX on error. */
static size_t push(struct http_state *s, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct timeval tv = {0, 0};
	int rc;

	if (dir == APP_DIR_TO_SERVER) {
		cur_connp = s->connp;
		rc = htp_connp_req_data(s->connp, &tv, p, len);
		cur_connp = NULL;
		if (rc == HTP_STREAM_DATA_OTHER)
			return htp_connp_req_data_consumed(s->connp);
	} else {
		rc = htp_connp_res_data(s->connp, &tv, p, len);
		if (rc == HTP_STREAM_DATA_OTHER)
			return htp_connp_res_data_consumed(s->connp);
	}
	if (rc == HTP_STREAM_ERROR)
		return SIZE_MAX;
	return len;
}

static void set_held(struct app_flow *f, struct http_state *s, enum app_dir dir, const uint8_t *p,
                     size_t len)
{
	uint8_t *b = NULL;

	if (len > HTTP_HOLD_MAX || !app_mem_take(f, len)) {
		f->events |= APP_EV_HTTP_ERROR;
		f->dead[dir] = true;
		len = 0;
	} else if (len > 0 && (b = malloc(len)) != NULL) {
		memcpy(b, p, len);
	} else {
		app_mem_give(f, len);
		len = 0;
	}
	app_mem_give(f, s->nheld[dir]);
	free(s->held[dir]);
	s->held[dir] = b;
	s->nheld[dir] = b != NULL ? len : 0;
}

/*
 * libhtp reports some anomalies only as log messages; Suricata turns them
 * into transaction events by their text (app-layer-htp.c htp_warnings).
 * The new messages since the last call become events of their transaction.
 */
static void log_events(struct app_flow *f, struct http_state *s, enum app_dir dir)
{
	static const struct {
		const char *msg;
		enum app_tx_event ev;
	} map[] = {
	        {"Unexpected request body", APP_TXEV_HTTP_REQ_BODY_UNEXPECTED},
	        {"Ambiguous request C-L value", APP_TXEV_HTTP_REQ_DUP_CL},
	        {"Ambiguous response C-L value", APP_TXEV_HTTP_RES_DUP_CL},
	        /* libhtp 0.5.45 and later; Debian bookworm's 0.5.42 does not log it. */
	        {"Request chunk extension", APP_TXEV_HTTP_REQ_CHUNK_EXT},
	};
	const htp_conn_t *conn = htp_connp_get_connection(s->connp);
	size_t n = conn != NULL && conn->messages != NULL ? htp_list_size(conn->messages) : 0;

	for (; s->log_seen < n; s->log_seen++) {
		const htp_log_t *log = htp_list_get(conn->messages, s->log_seen);
		/* libhtp 0.5.42 leaves log->tx unset: the transaction of the
		 * direction being parsed, else the latest one, is the message's. */
		htp_tx_t *htx = log != NULL ? log->tx : NULL;
		if (htx == NULL)
			htx = dir == APP_DIR_TO_SERVER ? htp_connp_get_in_tx(s->connp)
			                               : htp_connp_get_out_tx(s->connp);
		struct app_tx *tx = htx != NULL ? htp_tx_get_user_data(htx) : f->tail;
		if (tx == NULL || log == NULL || log->msg == NULL)
			continue;
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strncmp(log->msg, map[i].msg, strlen(map[i].msg)) == 0)
				app_tx_raise(tx, dir, map[i].ev);
	}
}

/* Feeds p (after what is held) to libhtp; holds what it could not take yet. */
static void feed_dir(struct app_flow *f, struct http_state *s, enum app_dir dir, const uint8_t *p,
                     size_t len)
{
	uint8_t *buf = NULL;
	size_t took;

	if (s->nheld[dir] > 0) {
		if ((buf = malloc(s->nheld[dir] + len)) == NULL)
			return;
		memcpy(buf, s->held[dir], s->nheld[dir]);
		if (len > 0)
			memcpy(buf + s->nheld[dir], p, len);
		len += s->nheld[dir];
		p = buf;
	}
	took = push(s, dir, p, len);
	log_events(f, s, dir);
	if (took == SIZE_MAX) {
		f->events |= APP_EV_HTTP_ERROR;
		f->dead[dir] = true;
		took = len;
	}
	set_held(f, s, dir, p + took, len - took);
	free(buf);
}

static int http_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct http_state *s = f->state;
	enum app_dir other = (enum app_dir)(dir ^ 1);

	feed_dir(f, s, dir, p, len);
	/* The other side may have waited for this one. */
	if (s->nheld[other] > 0 && !f->dead[other])
		feed_dir(f, s, other, NULL, 0);
	if (s->nheld[dir] > 0 && !f->dead[dir])
		feed_dir(f, s, dir, NULL, 0);
	return 0;
}

static void http_eof(struct app_flow *f, enum app_dir dir)
{
	struct http_state *s = f->state;
	struct timeval tv = {0, 0};

	/* A body delimited by the connection's end completes now (RFC 9112 6.3 item 8). */
	cur_connp = s->connp;
	if (dir == APP_DIR_TO_SERVER)
		htp_connp_req_close(s->connp, &tv);
	else
		htp_connp_close(s->connp, &tv);
	cur_connp = NULL;
}

const struct app_parser app_parser_http = {
        .proto = APP_PROTO_HTTP,
        .init = http_init,
        .feed = http_feed,
        .eof = http_eof,
        .fini = http_fini,
};
