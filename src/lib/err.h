/* SPDX-License-Identifier: ISC */
/*
 * Error codes shared by every module. Functions return 0 or a negative
 * enum bw_err value; bw_strerror() gives the text. Malformed input, peer
 * protocol errors, local resource failures and bugs are kept apart: the
 * first three are values here, bugs are assertions.
 */
#ifndef BW_ERR_H
#define BW_ERR_H

enum bw_err {
	BW_OK = 0,
	BW_ERR_NOMEM = -1,    /* local resource: allocation failed */
	BW_ERR_SHORT = -2,    /* malformed input: not enough bytes */
	BW_ERR_INVAL = -3,    /* malformed input or bad argument */
	BW_ERR_NOSPACE = -4,  /* output buffer or headroom too small */
	BW_ERR_AUTH = -5,     /* integrity check failed */
	BW_ERR_NOTFOUND = -6, /* lookup failed (unknown SPI, key) */
	BW_ERR_EXISTS = -7,   /* duplicate key */
	BW_ERR_REPLAY = -8,   /* anti-replay: duplicate or too old */
	BW_ERR_CRYPTO = -9,   /* the crypto library failed */
	BW_ERR_IO = -10,      /* a system call failed; see errno in the log */
	BW_ERR_UNSUPP = -11,  /* well-formed but not supported */
	BW_ERR_CONFIG = -12,  /* configuration error (already reported) */
	BW_ERR_AGAIN = -13,   /* try again later */
	BW_ERR_PROTO = -14,   /* protocol violation by the peer */
	BW_ERR_LIMIT = -15,   /* a cap was reached */
	BW_ERR__MIN = -16,
};

const char *bw_strerror(int err);

/*
 * Marks an intended fall-through between switch cases. gcc accepts a
 * comment, clang's -Wimplicit-fallthrough wants the attribute; C11 has no
 * [[fallthrough]].
 */
#if defined(__GNUC__) && __GNUC__ >= 7 || defined(__clang__)
#define BW_FALLTHROUGH __attribute__((fallthrough))
#else
#define BW_FALLTHROUGH ((void)0)
#endif

#endif
