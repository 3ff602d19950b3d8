/* SPDX-License-Identifier: ISC */
/*
 * The ESP data plane of the gateway: two threads per instance. The
 * outbound thread reads inner packets from TUN in batches, picks the SA
 * through the SPD, encrypts in place and sends the batch with sendmmsg().
 * The inbound thread receives batches from the raw ESP and UDP-4500 sockets
 * with recvmmsg(), decrypts and writes inner packets to TUN. An outbound SA
 * is touched only by the outbound thread and an inbound SA only by the
 * inbound thread, so no lock is taken per packet.
 */
#ifndef BW_GW_ESP_H
#define BW_GW_ESP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gw/gw_conf.h"
#include "ipsec/esp.h"

/* Drops and events outside any SA, counted by the data plane. */
enum gw_esp_ctr {
	GW_CTR_TUN_RX,         /* inner packets read from TUN */
	GW_CTR_TUN_TX,         /* inner packets written to TUN */
	GW_CTR_NO_POLICY,      /* TUN packet matching no selector */
	GW_CTR_BAD_INNER,      /* TUN packet not a valid IPv4/IPv6 packet */
	GW_CTR_OUTER_RX,       /* ESP packets received */
	GW_CTR_OUTER_TX,       /* ESP packets sent */
	GW_CTR_SEND_FAIL,      /* sendmmsg refused a packet */
	GW_CTR_TUN_WRITE_FAIL, /* write to TUN failed */
	GW_CTR_BAD_OUTER,      /* outer header malformed */
	GW_CTR_NO_SA,          /* unknown SPI */
	GW_CTR_KEEPALIVE,      /* NAT-keepalive (RFC 3948 2.3), discarded */
	GW_CTR_NON_ESP,        /* non-ESP marker on UDP 4500 (IKE), no IKE yet */
	GW_CTR_NOBUF,          /* packet pool exhausted */
	GW_CTR_IN_POLICY,      /* decrypted inner packet outside the SA's selectors */
	GW_CTR_TSO_SUPER,      /* TSO super-packets split */
	GW_CTR_GRO_SUPER,      /* GRO super-packets written */
	GW_CTR_BAD_OFFLOAD,    /* TUN packet with a bad virtio header or segmentation */
	GW_CTR_KEEPALIVE_TX,   /* NAT-keepalives sent (control thread) */
	GW_CTR_IKE_DROP,       /* IKE from UDP 4500 dropped: control queue full */
	GW_CTR__MAX,
};

struct gw_esp;

/* Opens the outer sockets and builds SAs/SAD/SPD from conf (borrowed).
 * vnet: the TUN fd carries virtio net headers (TSO in, GRO out). */
int gw_esp_new(struct gw_esp **out, const struct gw_conf *conf, int tun_fd, bool vnet);
void gw_esp_free(struct gw_esp *e);
int gw_esp_start(struct gw_esp *e);
void gw_esp_stop(struct gw_esp *e);
/*
 * Installs a CHILD_SA pair (manual or negotiated) and the selectors it
 * protects; the data plane uses it from its next batch. Control thread only.
 */
int gw_esp_child_add(struct gw_esp *e, const char *name, const struct esp_sa_cfg *out,
                     const struct esp_sa_cfg *in, const struct esp_ts *ts, size_t n_ts,
                     uint32_t *id);
/* Removes a pair; its SAs are freed once the data plane threads let go. */
int gw_esp_child_del(struct gw_esp *e, uint32_t id);
/* Frees what removed pairs left behind; call from a timer on the control loop. */
void gw_esp_reclaim(struct gw_esp *e);
/* An IKE message received on the NAT-T port, as the control thread reads it
 * from gw_esp_ike_fd(): this header, then the message without its marker. */
struct gw_ike_dgram {
	struct bw_addr src; /* the peer (address and port) */
	struct bw_addr dst; /* our address it was sent to */
};
int gw_esp_ike_fd(const struct gw_esp *e);
/* Sends an IKE message on the NAT-T socket with the non-ESP marker (RFC 3948 2.2). */
int gw_esp_send_ike(struct gw_esp *e, const struct bw_addr *src, const struct bw_addr *dst,
                    const uint8_t *msg, size_t len);
/* Sends a NAT-keepalive (RFC 3948 2.3) for manual tunnel `idx` (UDP-encapsulated). */
int gw_esp_send_keepalive(struct gw_esp *e, size_t idx);
/* Writes a status report (SAs, counters, drops by reason). */
void gw_esp_status(const struct gw_esp *e, FILE *f);

#endif
