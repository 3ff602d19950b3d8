/* SPDX-License-Identifier: ISC */
/*
 * What kind of rule a parsed rule is, as Suricata classifies signatures:
 * header, payload or app-layer (ips_rule_kind), whether its pass or drop
 * acts on the whole flow (ips_rule_flow_wide), and whether it is IP-only
 * (ips_rule_ip_only). Split from rule_parse.c: these read a finished rule.
 */
#include "ips/rule.h"

bool ips_kw_in_buffer(enum ips_kw kw)
{
	switch (kw) {
	case IPS_KW_CONTENT:
	case IPS_KW_PCRE:
	case IPS_KW_ISDATAAT:
	case IPS_KW_BYTE_TEST:
	case IPS_KW_BYTE_JUMP:
	case IPS_KW_BYTE_EXTRACT:
	case IPS_KW_BSIZE:
	case IPS_KW_TRANSFORM:
	case IPS_KW_BASE64_DECODE:
	case IPS_KW_FILEHASH:
	case IPS_KW_DATASET:
	case IPS_KW_BUF_EQ:
	case IPS_KW_ASN1:
		return true;
	default:
		return false;
	}
}

enum ips_rule_kind ips_rule_kind(const struct ips_rule *r)
{
	enum ips_rule_kind k = IPS_RK_HEADER;
	for (size_t i = 0; i < r->nopts; i++) {
		const struct ips_opt *o = &r->opts[i];
		switch (o->kw) {
		case IPS_KW_URILEN:
		case IPS_KW_DCE_IFACE:
		case IPS_KW_DCE_OPNUM:
		case IPS_KW_APP:
		case IPS_KW_APP_EVENT:
		case IPS_KW_DNS_OPCODE:
		case IPS_KW_FILESIZE:
		case IPS_KW_FTPBOUNCE:
			return IPS_RK_APP;
		default:
			/* asn1 is here too: the packet payload, as Suricata's PMATCH list. */
			if (!ips_kw_in_buffer(o->kw) || ips_buf_is_pkt(o->buf))
				break; /* packet header buffers: inspected with the packet */
			if (o->buf != IPS_BUF_PAYLOAD && o->buf != IPS_BUF_BASE64_DATA)
				return IPS_RK_APP;
			k = IPS_RK_PAYLOAD;
			break;
		}
	}
	return k;
}

/*
 * Whether every option of r is one Suricata allows an IP-only rule
 * (SIGMATCH_IPONLY_COMPAT: threshold, detection_filter, flowbits set; msg,
 * sid and the other metadata, and noalert, are no match options there).
 */
static bool ip_only_opts(const struct ips_rule *r)
{
	for (size_t i = 0; i < r->nopts; i++) {
		const struct ips_opt *o = &r->opts[i];
		switch (o->kw) {
		case IPS_KW_MSG:
		case IPS_KW_SID:
		case IPS_KW_REV:
		case IPS_KW_GID:
		case IPS_KW_CLASSTYPE:
		case IPS_KW_PRIORITY:
		case IPS_KW_REFERENCE:
		case IPS_KW_METADATA:
		case IPS_KW_TARGET:
		case IPS_KW_THRESHOLD:
		case IPS_KW_DETECTION_FILTER:
		case IPS_KW_NOALERT:
			break;
		case IPS_KW_FLOWBITS: {
			/* IP-only rules may set flowbits, not test them. */
			enum ips_flowbits_cmd c = ((const struct ips_flowbits *)o->data)->cmd;
			if (c != IPS_FB_SET && c != IPS_FB_NOALERT)
				return false;
			break;
		}
		default:
			return false;
		}
	}
	return true;
}

bool ips_rule_flow_wide(const struct ips_rule *r)
{
	if (ips_rule_kind(r) == IPS_RK_APP)
		return true;
	/* An app-layer protocol in the header without options: Suricata's APPLAYER type. */
	if (r->app != IPS_PROTO_IP && r->nopts == 0)
		return true;
	/* IP-only, or like it (negated addresses): Suricata applies their action to the flow. */
	return r->app == IPS_PROTO_IP && ip_only_opts(r);
}

bool ips_rule_ip_only(const struct ips_rule *r)
{
	return r->app == IPS_PROTO_IP && ip_only_opts(r) && !r->src.negated && !r->dst.negated;
}
