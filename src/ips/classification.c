/* SPDX-License-Identifier: ISC */
/*
 * classification.config loader, the Snort/Suricata file that maps a rule's
 * classtype to a description and a default priority:
 *   config classification: shortname,short description,priority
 * Comments (#) and blank lines are skipped; a malformed line is reported
 * with its line number and skipped, a repeated name replaces the earlier
 * entry (as Suricata does when a later file overrides).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ips/rule_int.h"
#include "lib/err.h"
#include "lib/log.h"

struct ips_classconf {
	struct ips_class *v;
	size_t n;
};

void ips_classconf_free(struct ips_classconf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].desc);
	}
	free(c->v);
	free(c);
}

const struct ips_class *ips_classconf_find(const struct ips_classconf *c, const char *name)
{
	if (!c || !name)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return &c->v[i];
	return NULL;
}

size_t ips_classconf_count(const struct ips_classconf *c)
{
	return c ? c->n : 0;
}

int ips_rule_priority(const struct ips_rule *r, const struct ips_classconf *c)
{
	if (r->priority >= 0)
		return r->priority;
	const struct ips_class *k = ips_classconf_find(c, r->classtype);
	return k ? k->priority : 3;
}

/* Parses one "config classification:" line body; 0, BW_ERR_INVAL or BW_ERR_NOMEM. */
static int add_line(struct ips_classconf *c, const char *body)
{
	char *buf, *tok[4];
	int64_t prio;
	size_t n = ips_split(body, ',', tok, 3, &buf);
	int e = 0;
	if (!buf)
		return BW_ERR_NOMEM;
	if (n != 3 || !*tok[0] || ips_parse_i64(tok[2], 1, 255, &prio)) {
		e = BW_ERR_INVAL;
		goto out;
	}
	for (const char *p = tok[0]; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			e = BW_ERR_INVAL;
	if (e)
		goto out;
	char *name = strdup(tok[0]), *desc = strdup(tok[1]);
	if (!name || !desc) {
		free(name);
		free(desc);
		e = BW_ERR_NOMEM;
		goto out;
	}
	struct ips_class *old = NULL;
	for (size_t i = 0; i < c->n && !old; i++)
		if (strcmp(c->v[i].name, name) == 0)
			old = &c->v[i];
	if (old) {
		free(old->name);
		free(old->desc);
		*old = (struct ips_class){name, desc, (int)prio};
		goto out;
	}
	struct ips_class *nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
	if (!nv) {
		free(name);
		free(desc);
		e = BW_ERR_NOMEM;
		goto out;
	}
	c->v = nv;
	c->v[c->n++] = (struct ips_class){name, desc, (int)prio};
out:
	free(buf);
	return e;
}

int ips_classconf_load(const char *path, struct ips_classconf **out)
{
	static const char prefix[] = "config classification:";
	char line[1024];
	unsigned lineno = 0;
	int e = 0;
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		log_err("ips", "%s: cannot open: %m", path);
		return BW_ERR_IO;
	}
	struct ips_classconf *c = calloc(1, sizeof(*c));
	if (!c) {
		fclose(f);
		return BW_ERR_NOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		size_t n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			log_warn("ips", "%s:%u: line too long, skipped", path, lineno);
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			continue;
		if (strncmp(s, prefix, sizeof(prefix) - 1) != 0) {
			log_warn("ips", "%s:%u: not a classification line, skipped", path, lineno);
			continue;
		}
		e = add_line(c, s + sizeof(prefix) - 1);
		if (e == BW_ERR_NOMEM)
			break;
		if (e)
			log_warn("ips", "%s:%u: malformed classification, skipped", path, lineno);
		e = 0;
	}
	fclose(f);
	if (e) {
		ips_classconf_free(c);
		return e;
	}
	*out = c;
	return 0;
}
