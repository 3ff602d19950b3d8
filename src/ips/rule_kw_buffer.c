/* SPDX-License-Identifier: ISC */
/*
 * Buffer selection keywords. Suricata sticky buffers ("http.uri;") switch
 * the buffer of every following content/pcre/byte_* option until the next
 * one; pkt_data switches back to the packet payload. Snort 2 modifiers
 * ("content:...; http_uri;") move only the content just before them. The
 * legacy underscore names of buffers that Suricata introduced as sticky
 * (file_data, dns_query, tls_sni, ja3_hash, http_content_type, ...) are
 * sticky too, as in Suricata. file.data is not tied to one app layer: HTTP
 * bodies and SMB file transfers both fill it.
 */
#include "ips/rule_int.h"

static const char *const buf_names[IPS_BUF__COUNT] = {
        [IPS_BUF_PAYLOAD] = "payload",
        [IPS_BUF_HTTP_URI] = "http.uri",
        [IPS_BUF_HTTP_RAW_URI] = "http.uri.raw",
        [IPS_BUF_HTTP_METHOD] = "http.method",
        [IPS_BUF_HTTP_REQUEST_LINE] = "http.request_line",
        [IPS_BUF_HTTP_PROTOCOL] = "http.protocol",
        [IPS_BUF_HTTP_HEADER] = "http.header",
        [IPS_BUF_HTTP_RAW_HEADER] = "http.header.raw",
        [IPS_BUF_HTTP_HEADER_NAMES] = "http.header_names",
        [IPS_BUF_HTTP_HOST] = "http.host",
        [IPS_BUF_HTTP_RAW_HOST] = "http.host.raw",
        [IPS_BUF_HTTP_USER_AGENT] = "http.user_agent",
        [IPS_BUF_HTTP_COOKIE] = "http.cookie",
        [IPS_BUF_HTTP_CONTENT_TYPE] = "http.content_type",
        [IPS_BUF_HTTP_CONTENT_LEN] = "http.content_len",
        [IPS_BUF_HTTP_REFERER] = "http.referer",
        [IPS_BUF_HTTP_ACCEPT] = "http.accept",
        [IPS_BUF_HTTP_ACCEPT_ENC] = "http.accept_enc",
        [IPS_BUF_HTTP_ACCEPT_LANG] = "http.accept_lang",
        [IPS_BUF_HTTP_CONNECTION] = "http.connection",
        [IPS_BUF_HTTP_LOCATION] = "http.location",
        [IPS_BUF_HTTP_SERVER] = "http.server",
        [IPS_BUF_HTTP_START] = "http.start",
        [IPS_BUF_HTTP_RESPONSE_LINE] = "http.response_line",
        [IPS_BUF_HTTP_STAT_CODE] = "http.stat_code",
        [IPS_BUF_HTTP_STAT_MSG] = "http.stat_msg",
        [IPS_BUF_HTTP_REQUEST_BODY] = "http.request_body",
        [IPS_BUF_HTTP_RESPONSE_BODY] = "http.response_body",
        [IPS_BUF_FILE_DATA] = "file.data",
        [IPS_BUF_DNS_QUERY] = "dns.query",
        [IPS_BUF_TLS_SNI] = "tls.sni",
        [IPS_BUF_TLS_CERT_SUBJECT] = "tls.cert_subject",
        [IPS_BUF_TLS_CERT_ISSUER] = "tls.cert_issuer",
        [IPS_BUF_TLS_CERT_SERIAL] = "tls.cert_serial",
        [IPS_BUF_TLS_CERTS] = "tls.certs",
        [IPS_BUF_JA3_HASH] = "ja3.hash",
        [IPS_BUF_JA3_STRING] = "ja3.string",
        [IPS_BUF_JA3S_HASH] = "ja3s.hash",
        [IPS_BUF_SMB_NAMED_PIPE] = "smb.named_pipe",
        [IPS_BUF_SMB_SHARE] = "smb.share",
        [IPS_BUF_SMB_NTLMSSP_USER] = "smb.ntlmssp_user",
        [IPS_BUF_SMB_NTLMSSP_DOMAIN] = "smb.ntlmssp_domain",
        [IPS_BUF_DCERPC_STUB_DATA] = "dcerpc.stub_data",
};

const char *ips_buf_name(enum ips_buf b)
{
	return b >= 0 && b < IPS_BUF__COUNT ? buf_names[b] : "?";
}

#define S(name, b)                                                                                 \
	{                                                                                          \
		name, IPS_KW_STICKY, IPS_KWF_NOVALUE | IPS_KWF_STICKY, b, NULL, NULL, NULL         \
	}
#define M(name, b)                                                                                 \
	{                                                                                          \
		name, IPS_KW_BUF_MODIFIER, IPS_KWF_NOVALUE | IPS_KWF_BUFMOD, b, NULL, NULL, NULL   \
	}
const struct ips_keyword ips_kw_buffer_table[] = {
        S("pkt_data", IPS_BUF_PAYLOAD), S("http.uri", IPS_BUF_HTTP_URI),
        S("http.uri.raw", IPS_BUF_HTTP_RAW_URI), S("http.method", IPS_BUF_HTTP_METHOD),
        S("http.request_line", IPS_BUF_HTTP_REQUEST_LINE),
        S("http_request_line", IPS_BUF_HTTP_REQUEST_LINE),
        S("http.protocol", IPS_BUF_HTTP_PROTOCOL), S("http.header", IPS_BUF_HTTP_HEADER),
        S("http.header.raw", IPS_BUF_HTTP_RAW_HEADER),
        S("http.header_names", IPS_BUF_HTTP_HEADER_NAMES),
        S("http_header_names", IPS_BUF_HTTP_HEADER_NAMES), S("http.host", IPS_BUF_HTTP_HOST),
        S("http.host.raw", IPS_BUF_HTTP_RAW_HOST), S("http.user_agent", IPS_BUF_HTTP_USER_AGENT),
        S("http.cookie", IPS_BUF_HTTP_COOKIE), S("http.content_type", IPS_BUF_HTTP_CONTENT_TYPE),
        S("http_content_type", IPS_BUF_HTTP_CONTENT_TYPE),
        S("http.content_len", IPS_BUF_HTTP_CONTENT_LEN),
        S("http_content_len", IPS_BUF_HTTP_CONTENT_LEN), S("http.referer", IPS_BUF_HTTP_REFERER),
        S("http_referer", IPS_BUF_HTTP_REFERER), S("http.accept", IPS_BUF_HTTP_ACCEPT),
        S("http_accept", IPS_BUF_HTTP_ACCEPT), S("http.accept_enc", IPS_BUF_HTTP_ACCEPT_ENC),
        S("http_accept_enc", IPS_BUF_HTTP_ACCEPT_ENC),
        S("http.accept_lang", IPS_BUF_HTTP_ACCEPT_LANG),
        S("http_accept_lang", IPS_BUF_HTTP_ACCEPT_LANG),
        S("http.connection", IPS_BUF_HTTP_CONNECTION),
        S("http_connection", IPS_BUF_HTTP_CONNECTION), S("http.location", IPS_BUF_HTTP_LOCATION),
        S("http.server", IPS_BUF_HTTP_SERVER), S("http.start", IPS_BUF_HTTP_START),
        S("http_start", IPS_BUF_HTTP_START), S("http.response_line", IPS_BUF_HTTP_RESPONSE_LINE),
        S("http_response_line", IPS_BUF_HTTP_RESPONSE_LINE),
        S("http.stat_code", IPS_BUF_HTTP_STAT_CODE), S("http.stat_msg", IPS_BUF_HTTP_STAT_MSG),
        S("http.request_body", IPS_BUF_HTTP_REQUEST_BODY),
        S("http.response_body", IPS_BUF_HTTP_RESPONSE_BODY), S("file.data", IPS_BUF_FILE_DATA),
        S("file_data", IPS_BUF_FILE_DATA), S("dns.query", IPS_BUF_DNS_QUERY),
        S("dns_query", IPS_BUF_DNS_QUERY), S("tls.sni", IPS_BUF_TLS_SNI),
        S("tls_sni", IPS_BUF_TLS_SNI), S("tls.cert_subject", IPS_BUF_TLS_CERT_SUBJECT),
        S("tls_cert_subject", IPS_BUF_TLS_CERT_SUBJECT),
        S("tls.cert_issuer", IPS_BUF_TLS_CERT_ISSUER),
        S("tls_cert_issuer", IPS_BUF_TLS_CERT_ISSUER),
        S("tls.cert_serial", IPS_BUF_TLS_CERT_SERIAL),
        S("tls_cert_serial", IPS_BUF_TLS_CERT_SERIAL), S("tls.certs", IPS_BUF_TLS_CERTS),
        S("ja3.hash", IPS_BUF_JA3_HASH), S("ja3_hash", IPS_BUF_JA3_HASH),
        S("ja3.string", IPS_BUF_JA3_STRING), S("ja3_string", IPS_BUF_JA3_STRING),
        S("ja3s.hash", IPS_BUF_JA3S_HASH), S("ja3s_hash", IPS_BUF_JA3S_HASH),
        S("smb.named_pipe", IPS_BUF_SMB_NAMED_PIPE), S("smb_named_pipe", IPS_BUF_SMB_NAMED_PIPE),
        S("smb.share", IPS_BUF_SMB_SHARE), S("smb_share", IPS_BUF_SMB_SHARE),
        S("smb.ntlmssp_user", IPS_BUF_SMB_NTLMSSP_USER),
        S("smb.ntlmssp_domain", IPS_BUF_SMB_NTLMSSP_DOMAIN),
        S("dcerpc.stub_data", IPS_BUF_DCERPC_STUB_DATA),
        S("dce_stub_data", IPS_BUF_DCERPC_STUB_DATA),
        /* Snort 2 / Suricata legacy content modifiers. */
        M("http_uri", IPS_BUF_HTTP_URI), M("http_raw_uri", IPS_BUF_HTTP_RAW_URI),
        M("http_method", IPS_BUF_HTTP_METHOD), M("http_header", IPS_BUF_HTTP_HEADER),
        M("http_raw_header", IPS_BUF_HTTP_RAW_HEADER), M("http_cookie", IPS_BUF_HTTP_COOKIE),
        M("http_user_agent", IPS_BUF_HTTP_USER_AGENT), M("http_host", IPS_BUF_HTTP_HOST),
        M("http_raw_host", IPS_BUF_HTTP_RAW_HOST), M("http_stat_code", IPS_BUF_HTTP_STAT_CODE),
        M("http_stat_msg", IPS_BUF_HTTP_STAT_MSG), M("http_client_body", IPS_BUF_HTTP_REQUEST_BODY),
        M("http_server_body", IPS_BUF_FILE_DATA), /* an alias of file_data since Suricata 5 */
};
const size_t ips_kw_buffer_count = sizeof(ips_kw_buffer_table) / sizeof(ips_kw_buffer_table[0]);
