/* SPDX-License-Identifier: ISC */
/* Text for enum bw_err values. */
#include "lib/err.h"

static const char *const err_text[] = {
        [0] = "success",
        [-BW_ERR_NOMEM] = "out of memory",
        [-BW_ERR_SHORT] = "truncated input",
        [-BW_ERR_INVAL] = "invalid input",
        [-BW_ERR_NOSPACE] = "no space in buffer",
        [-BW_ERR_AUTH] = "authentication failed",
        [-BW_ERR_NOTFOUND] = "not found",
        [-BW_ERR_EXISTS] = "already exists",
        [-BW_ERR_REPLAY] = "replayed or too old",
        [-BW_ERR_CRYPTO] = "crypto library error",
        [-BW_ERR_IO] = "I/O error",
        [-BW_ERR_UNSUPP] = "not supported",
        [-BW_ERR_CONFIG] = "configuration error",
        [-BW_ERR_AGAIN] = "try again",
        [-BW_ERR_PROTO] = "protocol error",
        [-BW_ERR_LIMIT] = "limit reached",
};

const char *bw_strerror(int err)
{
	if (err > 0 || err <= BW_ERR__MIN)
		return "unknown error";
	return err_text[-err];
}
