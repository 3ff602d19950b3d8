/* SPDX-License-Identifier: ISC */
/*
 * Files in transit (struct app_file, app_int.h): size, libmagic's
 * description of the first bytes, and MD5/SHA-1/SHA-256 computed as the
 * bytes arrive, published as the file.* buffers of the transaction. What is
 * computed follows app_cfg.file_needs, which the owner derives from the
 * rules. libmagic's handle is shared by the flows of a context and used
 * under its mutex (libmagic is not thread-safe).
 */
#define _DEFAULT_SOURCE /* strdup */
#include <magic.h>
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"
#include "lib/log.h"

static const enum crypto_digest_alg dg_alg[APP_FILE_NDIGEST] = {
        CRYPTO_DIGEST_MD5, CRYPTO_DIGEST_SHA1, CRYPTO_DIGEST_SHA256};
static const unsigned dg_need[APP_FILE_NDIGEST] = {APP_FILE_NEED_MD5, APP_FILE_NEED_SHA1,
                                                   APP_FILE_NEED_SHA256};

int app_file_ctx_init(struct app_ctx *ctx)
{
	magic_t m;

	ctx->magic = NULL;
	if (!(ctx->cfg.file_needs & APP_FILE_NEED_MAGIC))
		return 0;
	if ((m = magic_open(MAGIC_NONE)) == NULL)
		return BW_ERR_NOMEM;
	if (magic_load(m, NULL) != 0) {
		/* Without the database filemagic cannot match; the rest still works. */
		log_warn("ips", "libmagic: cannot load its database: %s", magic_error(m));
		magic_close(m);
		return 0;
	}
	if (pthread_mutex_init(&ctx->magic_lock, NULL) != 0) {
		magic_close(m);
		return BW_ERR_NOMEM;
	}
	ctx->magic = m;
	return 0;
}

void app_file_ctx_fini(struct app_ctx *ctx)
{
	if (ctx->magic == NULL)
		return;
	magic_close(ctx->magic);
	pthread_mutex_destroy(&ctx->magic_lock);
	ctx->magic = NULL;
}

static void file_release(struct app_flow *f, struct app_file *x)
{
	if (x == NULL)
		return;
	for (int i = 0; i < APP_FILE_NDIGEST; i++)
		crypto_digest_free(x->dg[i]);
	app_mem_give(f, sizeof(*x) + x->name_len + (x->magic ? strlen(x->magic) + 1 : 0));
	free(x->name);
	free(x->magic);
	free(x);
}

void app_file_free(struct app_flow *f, struct app_tx *tx)
{
	for (int d = 0; d < 2; d++) {
		for (size_t k = 0; k < tx->nfiles[d]; k++)
			file_release(f, tx->files[d][k]);
		tx->nfiles[d] = 0;
	}
}

struct app_file *app_file_last(const struct app_tx *tx, enum app_dir d)
{
	return tx->nfiles[d] ? tx->files[d][tx->nfiles[d] - 1] : NULL;
}

const struct app_file_info *app_tx_file(const struct app_tx *tx, enum app_dir dir)
{
	const struct app_file *x = app_file_last(tx, dir);

	return x != NULL ? &x->info : NULL;
}

size_t app_tx_nfiles(const struct app_tx *tx, enum app_dir dir)
{
	return tx->nfiles[dir];
}

const struct app_file_info *app_tx_file_at(const struct app_tx *tx, enum app_dir dir, size_t k)
{
	return k < tx->nfiles[dir] ? &tx->files[dir][k]->info : NULL;
}

/* Field b of file x, false when it does not have it. */
static bool field(const struct app_file *x, enum ips_buf b, const uint8_t **p, size_t *len)
{
	switch (b) {
	case IPS_BUF_FILE_NAME:
		*p = x->name;
		*len = x->name_len;
		return x->name != NULL;
	case IPS_BUF_FILE_MAGIC:
		*p = (const uint8_t *)x->magic;
		*len = x->magic ? strlen(x->magic) : 0;
		return x->magic != NULL;
	case IPS_BUF_FILE_MD5:
	case IPS_BUF_FILE_SHA1:
	case IPS_BUF_FILE_SHA256: {
		int i = (int)(b - IPS_BUF_FILE_MD5);

		*p = x->digest[i];
		*len = crypto_digest_size(dg_alg[i]);
		return x->has_digest[i];
	}
	default:
		return false;
	}
}

int app_tx_file_buf(const struct app_tx *tx, enum app_dir dir, size_t k, enum ips_buf b,
                    const uint8_t **p, size_t *len)
{
	*p = NULL;
	*len = 0;
	if (k >= tx->nfiles[dir] || !field(tx->files[dir][k], b, p, len))
		return BW_ERR_NOTFOUND;
	return 0;
}

int app_file_buf(const struct app_tx *tx, enum app_dir d, enum ips_buf b, size_t idx,
                 const uint8_t **p, size_t *len)
{
	for (size_t k = 0; k < tx->nfiles[d]; k++)
		if (field(tx->files[d][k], b, p, len) && idx-- == 0)
			return 0;
	*p = NULL;
	*len = 0;
	return BW_ERR_NOTFOUND;
}

int app_file_open(struct app_flow *f, struct app_tx *tx, enum app_dir d, const void *name,
                  size_t name_len)
{
	struct app_file *x, *last = app_file_last(tx, d);
	unsigned need = f->ctx->cfg.file_needs;

	if (last != NULL && last->open)
		app_file_close(f, tx, d, false);
	if (tx->nfiles[d] == APP_TX_FILES)
		return BW_ERR_LIMIT;
	if (name_len > APP_FILE_NAME_MAX)
		name_len = APP_FILE_NAME_MAX;
	if (name == NULL)
		name_len = 0;
	if (!app_mem_take(f, sizeof(*x) + name_len))
		return BW_ERR_LIMIT;
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (name_len && (x->name = malloc(name_len)) == NULL)) {
		free(x);
		app_mem_give(f, sizeof(*x) + name_len);
		return BW_ERR_NOMEM;
	}
	if (name_len) {
		memcpy(x->name, name, name_len);
		x->name_len = name_len;
	}
	x->open = true;
	for (int i = 0; i < APP_FILE_NDIGEST; i++)
		if ((need & dg_need[i]) && crypto_digest_new(&x->dg[i], dg_alg[i]) != 0) {
			file_release(f, x);
			return BW_ERR_NOMEM;
		}
	tx->files[d][tx->nfiles[d]++] = x;
	app_tx_mark(tx, d);
	return 0;
}

/* file.magic from the bytes kept (once). */
static void file_magic(struct app_flow *f, struct app_file *x)
{
	struct app_ctx *ctx = (struct app_ctx *)(uintptr_t)f->ctx;
	const char *desc;

	x->magic_done = true;
	if (ctx->magic == NULL || x->nhead == 0)
		return;
	pthread_mutex_lock(&ctx->magic_lock);
	desc = magic_buffer(ctx->magic, x->head, x->nhead);
	if (desc != NULL && app_mem_take(f, strlen(desc) + 1) && (x->magic = strdup(desc)) == NULL)
		app_mem_give(f, strlen(desc) + 1);
	pthread_mutex_unlock(&ctx->magic_lock);
}

void app_file_data(struct app_flow *f, struct app_tx *tx, enum app_dir d, const void *p, size_t len)
{
	struct app_file *x = app_file_last(tx, d);

	if (x == NULL || !x->open || len == 0)
		return;
	x->info.size += len;
	for (int i = 0; i < APP_FILE_NDIGEST; i++)
		if (x->dg[i] != NULL && crypto_digest_update(x->dg[i], p, len) != 0) {
			crypto_digest_free(x->dg[i]);
			x->dg[i] = NULL;
		}
	if (x->nhead < APP_FILE_HEAD) {
		size_t n = APP_FILE_HEAD - x->nhead < len ? APP_FILE_HEAD - x->nhead : len;

		memcpy(x->head + x->nhead, p, n);
		x->nhead += n;
	}
	if (!x->magic_done && x->nhead >= APP_FILE_MAGIC_MIN &&
	    (f->ctx->cfg.file_needs & APP_FILE_NEED_MAGIC))
		file_magic(f, x);
	app_tx_mark(tx, d);
}

void app_file_close(struct app_flow *f, struct app_tx *tx, enum app_dir d, bool complete)
{
	struct app_file *x = app_file_last(tx, d);

	if (x == NULL || !x->open)
		return;
	x->open = false;
	x->info.complete = complete;
	x->info.truncated = !complete;
	if (!x->magic_done && (f->ctx->cfg.file_needs & APP_FILE_NEED_MAGIC))
		file_magic(f, x);
	for (int i = 0; i < APP_FILE_NDIGEST; i++) {
		if (complete && x->dg[i] != NULL &&
		    crypto_digest_final(x->dg[i], x->digest[i]) == 0)
			x->has_digest[i] = true;
		crypto_digest_free(x->dg[i]);
		x->dg[i] = NULL;
	}
	app_tx_mark(tx, d);
}
