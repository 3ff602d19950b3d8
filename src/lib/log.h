/* SPDX-License-Identifier: ISC */
/*
 * Logging with levels and a subsystem tag, to stderr and optionally syslog.
 * The macros capture __func__ at debug level; the _r variants append
 * bw_strerror(r). Never pass secrets to these functions.
 */
#ifndef BW_LOG_H
#define BW_LOG_H

#include <stdbool.h>

enum bw_log_level {
	BW_LOG_ERR = 3,
	BW_LOG_WARN = 4,
	BW_LOG_NOTICE = 5,
	BW_LOG_INFO = 6,
	BW_LOG_DEBUG = 7,
};

void bw_log_init(const char *ident, enum bw_log_level level, bool use_syslog, bool use_stderr);
void bw_log_set_level(enum bw_log_level level);
bool bw_log_enabled(enum bw_log_level level);
/* Parses "err", "warn", "notice", "info", "debug"; -1 when unknown. */
int bw_log_level_parse(const char *s);
/*
 * Diverts log output: while a sink is set, each enabled line goes to it as
 * "tag: message" (no time stamp or level) instead of stderr; syslog is
 * unchanged. NULL restores stderr. For tests and for tools that print
 * messages their own way. Not thread-safe: set it before threads start.
 */
void bw_log_set_sink(void (*sink)(enum bw_log_level level, const char *line, void *arg), void *arg);

#if defined(__GNUC__)
#define BW_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define BW_PRINTF(a, b)
#endif

void bw_log(enum bw_log_level level, const char *tag, const char *func, int err, const char *fmt,
            ...) BW_PRINTF(5, 6);

#define BW_LOGX(lvl, tag, ...)                                                                     \
	do {                                                                                       \
		if (bw_log_enabled(lvl))                                                           \
			bw_log(lvl, tag, __func__, 0, __VA_ARGS__);                                \
	} while (0)
#define BW_LOGR(lvl, tag, r, ...)                                                                  \
	do {                                                                                       \
		if (bw_log_enabled(lvl))                                                           \
			bw_log(lvl, tag, __func__, (r), __VA_ARGS__);                              \
	} while (0)

#define log_err(tag, ...)        BW_LOGX(BW_LOG_ERR, tag, __VA_ARGS__)
#define log_warn(tag, ...)       BW_LOGX(BW_LOG_WARN, tag, __VA_ARGS__)
#define log_notice(tag, ...)     BW_LOGX(BW_LOG_NOTICE, tag, __VA_ARGS__)
#define log_info(tag, ...)       BW_LOGX(BW_LOG_INFO, tag, __VA_ARGS__)
#define log_debug(tag, ...)      BW_LOGX(BW_LOG_DEBUG, tag, __VA_ARGS__)
#define log_err_r(tag, r, ...)   BW_LOGR(BW_LOG_ERR, tag, r, __VA_ARGS__)
#define log_warn_r(tag, r, ...)  BW_LOGR(BW_LOG_WARN, tag, r, __VA_ARGS__)
#define log_info_r(tag, r, ...)  BW_LOGR(BW_LOG_INFO, tag, r, __VA_ARGS__)
#define log_debug_r(tag, r, ...) BW_LOGR(BW_LOG_DEBUG, tag, r, __VA_ARGS__)

#endif
