/* SPDX-License-Identifier: ISC */
/*
 * Log sink: "LEVEL tag: message" lines on stderr and/or syslog(3). Debug
 * lines carry the function name. Messages are formatted once into a stack
 * buffer and truncated, never allocated.
 */
#define _DEFAULT_SOURCE /* clock_gettime, localtime_r */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "lib/err.h"
#include "lib/log.h"

static enum bw_log_level log_level = BW_LOG_INFO;
static bool log_syslog;
static bool log_stderr = true;
static void (*log_sink)(enum bw_log_level, const char *, void *);
static void *log_sink_arg;

static const char *const level_name[] = {
        [BW_LOG_ERR] = "error", [BW_LOG_WARN] = "warn",   [BW_LOG_NOTICE] = "notice",
        [BW_LOG_INFO] = "info", [BW_LOG_DEBUG] = "debug",
};

void bw_log_init(const char *ident, enum bw_log_level level, bool use_syslog, bool use_stderr)
{
	log_level = level;
	log_syslog = use_syslog;
	log_stderr = use_stderr;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void bw_log_set_level(enum bw_log_level level)
{
	log_level = level;
}

bool bw_log_enabled(enum bw_log_level level)
{
	return level <= log_level;
}

void bw_log_set_sink(void (*sink)(enum bw_log_level level, const char *line, void *arg), void *arg)
{
	log_sink = sink;
	log_sink_arg = arg;
}

int bw_log_level_parse(const char *s)
{
	for (int l = BW_LOG_ERR; l <= BW_LOG_DEBUG; l++)
		if (strcasecmp(s, level_name[l]) == 0)
			return l;
	if (strcasecmp(s, "warning") == 0)
		return BW_LOG_WARN;
	return -1;
}

void bw_log(enum bw_log_level level, const char *tag, const char *func, int err, const char *fmt,
            ...)
{
	char msg[1024];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	if (err != 0 && n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", bw_strerror(err));

	if (log_syslog) {
		if (level == BW_LOG_DEBUG)
			syslog((int)level, "%s: %s: %s", tag, func, msg);
		else
			syslog((int)level, "%s: %s", tag, msg);
	}
	if (log_sink != NULL) {
		char line[1100];

		snprintf(line, sizeof(line), "%s: %s", tag, msg);
		log_sink(level, line, log_sink_arg);
	} else if (log_stderr) {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		if (level == BW_LOG_DEBUG)
			fprintf(stderr, "%s.%03ld %s %s: %s: %s\n", when, ts.tv_nsec / 1000000,
			        level_name[level], tag, func, msg);
		else
			fprintf(stderr, "%s.%03ld %s %s: %s\n", when, ts.tv_nsec / 1000000,
			        level_name[level], tag, msg);
	}
}
