/* SPDX-License-Identifier: ISC */
/*
 * INFORMATIONAL exchanges (RFC 7296 1.4): Delete payloads for the IKE SA
 * and for CHILD_SAs (1.4.1), and empty requests as liveness checks (2.4),
 * which are answered with empty responses.
 */
#include <stdlib.h>
#include <string.h>

#include "ike/ike_int.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/rd.h"

void ike_children_remove(struct ike_sa *sa)
{
	struct ike *ike = sa->ike;
	struct ike_child *c, *next;

	for (c = sa->children; c != NULL; c = next) {
		next = c->next;
		if (c->installed)
			ike->ops.child_del(ike->arg, c->handle);
		free(c);
	}
	sa->children = NULL;
}

static void respond(struct ike_sa *sa, const struct ikev2_msg *m, const uint8_t *inner, size_t len,
                    uint8_t first, uint64_t now)
{
	ike_send_sk(sa, IKEV2_EXCH_INFORMATIONAL, true, m->hdr.msg_id, inner, len, first, now);
	sa->msgid_in++;
}

void ike_info_request(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now)
{
	uint8_t inner[512], spis[4 * IKE_MAX_CHILD * 2];
	uint16_t nspi = 0;
	struct ikev2_bld b;
	struct bw_wr wr;

	bw_wr_init(&wr, inner, sizeof(inner));
	ikev2_build_chain(&b, &wr);
	for (unsigned i = 0; i < m->ndelete; i++) {
		const struct ikev2_deletep *d = &m->del[i];

		if (d->proto == IKEV2_PROTO_IKE) {
			/* 1.4.1: the IKE SA and all its CHILD_SAs go; the answer is empty. */
			log_notice("ike", "conn=%s: peer deleted the IKE SA",
			           sa->conf ? sa->conf->name : "-");
			respond(sa, m, inner, 0, IKEV2_PL_NONE, now);
			ike_sa_kill(sa, "deleted by peer");
			return;
		}
		if (d->proto != IKEV2_PROTO_ESP || d->spi_size != 4)
			continue;
		for (unsigned k = 0; k < d->nspi; k++) {
			uint32_t spi = bw_be32(d->spis.p + 4 * k);
			struct ike_child **pp = &sa->children, *c;

			/* The peer names its inbound SPI, our outbound; we answer with ours. */
			while ((c = *pp) != NULL) {
				if (c->spi_out == spi) {
					*pp = c->next;
					if (nspi < sizeof(spis) / 4)
						bw_put_be32(spis + 4 * nspi++, c->spi_in);
					if (c->installed)
						sa->ike->ops.child_del(sa->ike->arg, c->handle);
					log_info("ike", "conn=%s: CHILD_SA 0x%08x deleted by peer",
					         sa->conf ? sa->conf->name : "-", c->spi_in);
					free(c);
					break;
				}
				pp = &c->next;
			}
		}
	}
	if (nspi > 0 && ikev2_build_delete(&b, IKEV2_PROTO_ESP, 4, nspi, spis) != 0)
		wr.len = 0;
	respond(sa, m, inner, wr.len, wr.len ? b.first : IKEV2_PL_NONE, now);
}

void ike_info_response(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now)
{
	(void)m;
	(void)now;
	if (sa->state == IKE_ST_DELETING) {
		ike_sa_kill(sa, "deleted");
		return;
	}
	/* The peer confirmed our CHILD_SA Delete (its own Delete in the answer is
	 * for the same pair), or answered a liveness check. */
	if (sa->task == IKE_TASK_CHILD_DELETE && sa->task_child != NULL)
		ike_child_unlink(sa, sa->task_child);
	sa->task = IKE_TASK_NONE;
	sa->task_child = NULL;
}

int ike_delete_send(struct ike_sa *sa, uint64_t now)
{
	uint8_t inner[64];
	struct ikev2_bld b;
	struct bw_wr wr;
	int r;

	bw_wr_init(&wr, inner, sizeof(inner));
	ikev2_build_chain(&b, &wr);
	if ((r = ikev2_build_delete(&b, IKEV2_PROTO_IKE, 0, 0, NULL)) != 0)
		return r;
	if ((r = ike_send_sk(sa, IKEV2_EXCH_INFORMATIONAL, false, sa->msgid_out, inner, wr.len,
	                     b.first, now)) != 0)
		return r;
	sa->msgid_out++;
	sa->task = IKE_TASK_DELETE;
	/* Stop forwarding at once: the SAs are gone whatever the peer answers. */
	ike_children_remove(sa);
	ike_set_state(sa, IKE_ST_DELETING);
	return 0;
}
