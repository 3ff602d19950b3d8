/* SPDX-License-Identifier: ISC */
/*
 * ESP (RFC 4303) in userspace: security associations, encapsulation and
 * decapsulation in place on a struct pkt, the anti-replay window with
 * 64-bit extended sequence numbers (RFC 4303 appendix A), the SAD keyed by
 * SPI and a small SPD for outbound selection and inbound policy checks.
 *
 * Transforms: AES-GCM-128/256 with 16-byte ICV (RFC 4106),
 * ChaCha20-Poly1305 (RFC 7634), AES-CBC-128/256 (RFC 3602) with
 * HMAC-SHA-256-128, HMAC-SHA-384-192 or HMAC-SHA-512-256 (RFC 4868).
 *
 * Threads: an outbound SA is touched only by the thread that encrypts, an
 * inbound SA only by the thread that decrypts, so the packet path needs no
 * lock. This module does no I/O; outer IP/UDP headers are the caller's.
 */
#ifndef BW_ESP_H
#define BW_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/pkt.h"

enum esp_encr {
	ESP_ENCR_AES_GCM_16,        /* RFC 4106, 16-byte ICV; key 16/32 + 4 salt */
	ESP_ENCR_CHACHA20_POLY1305, /* RFC 7634; key 32 + 4 salt */
	ESP_ENCR_AES_CBC,           /* RFC 3602; key 16/32, needs an integ */
};

enum esp_integ {
	ESP_INTEG_NONE,            /* only with an AEAD */
	ESP_INTEG_HMAC_SHA256_128, /* RFC 4868 */
	ESP_INTEG_HMAC_SHA384_192,
	ESP_INTEG_HMAC_SHA512_256,
};

/* The transform names of the configuration files (gateway SAs, IPS key files). */
struct esp_enc_name {
	const char *name;
	enum esp_encr encr;
	size_t key_len; /* with the salt for AEADs */
	bool aead;
	const char *key_desc;
};

struct esp_integ_name {
	const char *name;
	enum esp_integ integ;
	size_t key_len; /* RFC 4868 section 2.1.1: key length = hash output length */
};

#define ESP_ENC_NAMES   "aes-gcm-128, aes-gcm-256, chacha20-poly1305, aes-cbc-128 or aes-cbc-256"
#define ESP_INTEG_NAMES "none, hmac-sha256-128, hmac-sha384-192 or hmac-sha512-256"

/* NULL when s names no transform. */
const struct esp_enc_name *esp_enc_by_name(const char *s);
const struct esp_integ_name *esp_integ_by_name(const char *s);

enum esp_mode {
	ESP_MODE_TUNNEL,
	ESP_MODE_TRANSPORT,
};

enum {
	ESP_KEY_MAX = 36, /* AES-256 or ChaCha20 key + 4-byte salt */
	ESP_INTEG_KEY_MAX = 64,
	ESP_REPLAY_DEFAULT = 1024, /* window in packets */
	ESP_REPLAY_MAX = 65536,
	ESP_NH_IPV4 = 4,
	ESP_NH_IPV6 = 41,
	ESP_NH_NONE = 59,    /* TFC dummy packet (RFC 4303 2.6) */
	ESP_UDP_PORT = 4500, /* RFC 3948 */
};

/* Why an inbound or outbound packet was dropped; each reason is counted. */
enum esp_drop {
	ESP_DROP_SHORT,     /* truncated header, IV or ICV */
	ESP_DROP_NO_SA,     /* unknown SPI */
	ESP_DROP_REPLAY,    /* duplicate inside the window */
	ESP_DROP_TOO_OLD,   /* left of the window */
	ESP_DROP_AUTH,      /* ICV did not verify */
	ESP_DROP_BAD_LEN,   /* ciphertext not a block multiple, length lies */
	ESP_DROP_BAD_PAD,   /* padding bytes not 1, 2, 3, ... or pad too long */
	ESP_DROP_NEXT_HDR,  /* next header not allowed for the mode */
	ESP_DROP_POLICY,    /* inner addresses outside the SA's selectors */
	ESP_DROP_TFC,       /* dummy packet (next header 59), discarded */
	ESP_DROP_SEQ_CYCLE, /* outbound sequence number would wrap */
	ESP_DROP_NOSPACE,   /* packet does not fit the buffer */
	ESP_DROP_CRYPTO,    /* crypto library failure */
	ESP_DROP__MAX,
};

const char *esp_drop_name(enum esp_drop d);

struct esp_sa_cfg {
	uint32_t spi;
	enum esp_encr encr;
	uint8_t encr_key[ESP_KEY_MAX]; /* AEAD: key then 4-byte salt, as ip-xfrm and tshark */
	size_t encr_key_len;
	enum esp_integ integ;
	uint8_t integ_key[ESP_INTEG_KEY_MAX];
	size_t integ_key_len;
	enum esp_mode mode;
	bool esn;               /* 64-bit extended sequence numbers */
	uint32_t replay_window; /* packets; 0 disables anti-replay (inbound) */
	struct bw_addr local;   /* outer addresses (port set when UDP-encapsulated) */
	struct bw_addr remote;
	bool udp_encap; /* RFC 3948 */
};

struct esp_sa_stats {
	uint64_t packets;
	uint64_t bytes; /* inner bytes */
	uint64_t drops[ESP_DROP__MAX];
};

struct esp_sa;

/* Creates an SA from cfg (copied; keys are wiped from the SA on free). */
int esp_sa_new(struct esp_sa **out, const struct esp_sa_cfg *cfg);
void esp_sa_free(struct esp_sa *sa);
uint32_t esp_sa_spi(const struct esp_sa *sa);
const struct esp_sa_cfg *esp_sa_cfg(const struct esp_sa *sa);
const struct esp_sa_stats *esp_sa_stats(const struct esp_sa *sa);
/* Next outbound sequence number (64-bit), for tests and status. */
uint64_t esp_sa_seq(const struct esp_sa *sa);
void esp_sa_set_seq(struct esp_sa *sa, uint64_t seq);
/* Bytes ESP adds at most to a payload of len bytes (header, IV, pad, trailer, ICV). */
size_t esp_overhead(const struct esp_sa *sa, size_t len);

/*
 * Encapsulates in place. On entry p holds the payload (tunnel mode: the inner
 * IP packet; transport mode: what follows the IP header) and next_header
 * names it. On success p holds SPI | seq | IV | ciphertext | ICV; the outer
 * IP (and UDP) header is the caller's. On error p is unchanged and the
 * reason is counted in the SA's stats.
 */
int esp_encap(struct esp_sa *sa, struct pkt *p, uint8_t next_header);

/*
 * Decapsulates in place. On entry p starts at the SPI (the caller looked up
 * sa by that SPI). Order (RFC 4303 3.4): replay pre-check, ICV, decrypt,
 * padding check, and only then the window advances. On success p holds the
 * payload and *next_header names it; a TFC dummy packet returns
 * BW_ERR_AGAIN after being counted. On error, the reason is in *drop.
 */
int esp_decap(struct esp_sa *sa, struct pkt *p, uint8_t *next_header, enum esp_drop *drop);

/* Reads the SPI of an ESP packet (first 4 bytes); BW_ERR_SHORT if absent. */
int esp_peek_spi(const uint8_t *p, size_t len, uint32_t *spi);

/*
 * Anti-replay window with ESN (RFC 4303 A.2). The window is a bitmap of
 * `size` bits (rounded up to 64) ending at the highest authenticated number.
 */
struct esp_replay;
int esp_replay_new(struct esp_replay **out, uint32_t size, bool esn);
void esp_replay_free(struct esp_replay *w);
/* Pre-check before ICV: infers the 64-bit number from the low 32 bits sent. */
int esp_replay_check(const struct esp_replay *w, uint32_t seq_lo, uint64_t *seq,
                     enum esp_drop *drop);
/* After the ICV verified: marks seq seen and slides the window. */
void esp_replay_update(struct esp_replay *w, uint64_t seq);
uint64_t esp_replay_top(const struct esp_replay *w);

/* SAD: inbound SAs by SPI. Borrows the SAs; the owner frees them. */
struct esp_sad;
struct esp_sad *esp_sad_new(void);
void esp_sad_free(struct esp_sad *sad);
int esp_sad_add(struct esp_sad *sad, struct esp_sa *sa);
int esp_sad_del(struct esp_sad *sad, uint32_t spi);
struct esp_sa *esp_sad_lookup(const struct esp_sad *sad, uint32_t spi);

/*
 * SPD: traffic selectors (address prefixes) mapping inner packets to an
 * outbound SA, and checking what an inbound tunnel-mode SA may carry.
 * Lookup is most specific destination first.
 */
struct esp_ts {
	struct bw_addr local;
	uint8_t local_plen;
	struct bw_addr remote;
	uint8_t remote_plen;
};
struct esp_spd;
struct esp_spd *esp_spd_new(void);
void esp_spd_free(struct esp_spd *spd);
/* Adds a policy: packets from ts.local to ts.remote go out through `out`,
 * and packets from ts.remote to ts.local may arrive on `in`. */
int esp_spd_add(struct esp_spd *spd, const struct esp_ts *ts, struct esp_sa *out,
                struct esp_sa *in);
/* Finds the outbound SA for an inner IP packet; NULL if none. */
struct esp_sa *esp_spd_out(const struct esp_spd *spd, const uint8_t *ip, size_t len);
/* True if the inner packet (decapsulated, tunnel mode) may arrive on sa. */
bool esp_spd_in_ok(const struct esp_spd *spd, const struct esp_sa *sa, const uint8_t *ip,
                   size_t len);

#endif
