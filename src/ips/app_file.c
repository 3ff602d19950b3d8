/* SPDX-License-Identifier: ISC */
/*
 * Files in transit (struct app_file, app_int.h): size, libmagic's
 * description of the first bytes, and MD5/SHA-1/SHA-256 computed as the
 * bytes arrive, published as the file.* buffers of the transaction. What is
 * computed follows app_cfg.file_needs, which the owner derives from the
 * rules. libmagic's handle is shared by the flows of a context and used
 * under its mutex (libmagic is not thread-safe).
 */
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
static const enum ips_buf dg_buf[APP_FILE_NDIGEST] = {IPS_BUF_FILE_MD5, IPS_BUF_FILE_SHA1,
                                                      IPS_BUF_FILE_SHA256};

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
	app_mem_give(f, sizeof(*x));
	free(x);
}

void app_file_free(struct app_flow *f, struct app_tx *tx)
{
	for (int d = 0; d < 2; d++) {
		file_release(f, tx->file[d]);
		tx->file[d] = NULL;
	}
}

const struct app_file_info *app_tx_file(const struct app_tx *tx, enum app_dir dir)
{
	return tx->file[dir] != NULL ? &tx->file[dir]->info : NULL;
}

int app_file_open(struct app_flow *f, struct app_tx *tx, enum app_dir d, const void *name,
                  size_t name_len)
{
	struct app_file *x;
	unsigned need = f->ctx->cfg.file_needs;

	file_release(f, tx->file[d]);
	tx->file[d] = NULL;
	for (int b = IPS_BUF_FILE_NAME; b <= IPS_BUF_FILE_SHA256; b++)
		app_tx_buf_clear(tx, d, (enum ips_buf)b);
	if (!app_mem_take(f, sizeof(*x)))
		return BW_ERR_LIMIT;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		app_mem_give(f, sizeof(*x));
		return BW_ERR_NOMEM;
	}
	x->open = true;
	for (int i = 0; i < APP_FILE_NDIGEST; i++)
		if ((need & dg_need[i]) && crypto_digest_new(&x->dg[i], dg_alg[i]) != 0) {
			file_release(f, x);
			return BW_ERR_NOMEM;
		}
	tx->file[d] = x;
	if (name != NULL && name_len > 0)
		(void)app_tx_buf_add(f, tx, d, IPS_BUF_FILE_NAME, name, name_len);
	app_tx_mark(tx, d);
	return 0;
}

/* file.magic from the bytes kept (once). */
static void file_magic(struct app_flow *f, struct app_tx *tx, enum app_dir d, struct app_file *x)
{
	struct app_ctx *ctx = (struct app_ctx *)(uintptr_t)f->ctx;
	const char *desc;

	x->magic_done = true;
	if (ctx->magic == NULL || x->nhead == 0)
		return;
	pthread_mutex_lock(&ctx->magic_lock);
	desc = magic_buffer(ctx->magic, x->head, x->nhead);
	if (desc != NULL)
		(void)app_tx_buf_add(f, tx, d, IPS_BUF_FILE_MAGIC, desc, strlen(desc));
	pthread_mutex_unlock(&ctx->magic_lock);
}

void app_file_data(struct app_flow *f, struct app_tx *tx, enum app_dir d, const void *p, size_t len)
{
	struct app_file *x = tx->file[d];

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
		file_magic(f, tx, d, x);
	app_tx_mark(tx, d);
}

void app_file_close(struct app_flow *f, struct app_tx *tx, enum app_dir d, bool complete)
{
	struct app_file *x = tx->file[d];

	if (x == NULL || !x->open)
		return;
	x->open = false;
	x->info.complete = complete;
	x->info.truncated = !complete;
	if (!x->magic_done && (f->ctx->cfg.file_needs & APP_FILE_NEED_MAGIC))
		file_magic(f, tx, d, x);
	for (int i = 0; i < APP_FILE_NDIGEST; i++) {
		uint8_t md[CRYPTO_DIGEST_MAX];

		if (complete && x->dg[i] != NULL && crypto_digest_final(x->dg[i], md) == 0)
			(void)app_tx_buf_add(f, tx, d, dg_buf[i], md,
			                     crypto_digest_size(dg_alg[i]));
		crypto_digest_free(x->dg[i]);
		x->dg[i] = NULL;
	}
	app_tx_mark(tx, d);
}
