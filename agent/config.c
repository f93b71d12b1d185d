// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's configuration: /etc/splitckpt/splitckptd.conf, then the
 * drop-ins /etc/splitckpt/splitckptd.conf.d/\*.conf in lexical order, each
 * read with libinih over what came before.  One table holds every key, its
 * parser and what the documentation calls its default.  Anything wrong is
 * reported as FILE:LINE and the whole load fails: a daemon that half-reads
 * its configuration is worse than one that does not start.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "daemon.h"

#define SECTION	"Agent"

struct parse {
	struct agent_config *cfg;
	const char *file;
	FILE *f;
	char *buf;
	size_t cap;
	int lineno;		/* of the line libinih handles now */
	int err_line;		/* of the first error we found, or 0 */
	char err[512];
};

static int parse_path(const char *v, char *out, size_t len, char *err, size_t elen)
{
	if (v[0] != '/') {
		snprintf(err, elen, "'%s' is not an absolute path", v);
		return -EINVAL;
	}
	if (strlen(v) >= len) {
		snprintf(err, elen, "path longer than %zu characters", len - 1);
		return -EINVAL;
	}
	strcpy(out, v);
	return 0;
}

static int parse_uint(const char *v, int base, unsigned long min, unsigned long max,
		      unsigned int *out, char *err, size_t elen)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(v, &end, base);
	if (errno || end == v || *end || v[0] == '-' || n < min || n > max) {
		snprintf(err, elen, "'%s' is not %s number from %lu to %lu", v,
			 base == 8 ? "an octal" : "a", min, max);
		return -EINVAL;
	}
	*out = n;
	return 0;
}

static int set_socket(struct agent_config *c, const char *v, char *err, size_t elen)
{
	return parse_path(v, c->socket, sizeof(c->socket), err, elen);
}

static int set_socket_mode(struct agent_config *c, const char *v, char *err, size_t elen)
{
	return parse_uint(v, 8, 0, 0777, &c->socket_mode, err, elen);
}

static int set_image_root(struct agent_config *c, const char *v, char *err, size_t elen)
{
	size_t n;
	int r = parse_path(v, c->image_root, sizeof(c->image_root), err, elen);

	/* Kept without a trailing slash: request.c compares prefixes. */
	n = strlen(c->image_root);
	while (!r && n > 1 && c->image_root[n - 1] == '/')
		c->image_root[--n] = '\0';
	return r;
}

static int set_log_level(struct agent_config *c, const char *v, char *err, size_t elen)
{
	int l = log_level_parse(v);

	if (l < LOG_ERR) {
		snprintf(err, elen, "'%s' is not one of err, warning, notice, info, debug", v);
		return -EINVAL;
	}
	c->log_level = l;
	return 0;
}

static int set_max_concurrent(struct agent_config *c, const char *v, char *err, size_t elen)
{
	/* Each request holds about 5 descriptors; the soft limit is 1024. */
	return parse_uint(v, 10, 1, 128, &c->max_concurrent, err, elen);
}

static int set_request_timeout(struct agent_config *c, const char *v, char *err, size_t elen)
{
	return parse_uint(v, 10, 1, 86400, &c->request_timeout, err, elen);
}

static int set_seccomp(struct agent_config *c, const char *v, char *err, size_t elen)
{
	if (!strcmp(v, "kill")) {
		c->seccomp = SECCOMP_KILL;
	} else if (!strcmp(v, "log")) {
		c->seccomp = SECCOMP_LOG;
	} else {
		snprintf(err, elen, "'%s' is not kill or log", v);
		return -EINVAL;
	}
	return 0;
}

static const struct key {
	const char *name;
	int (*set)(struct agent_config *c, const char *v, char *err, size_t elen);
} keys[] = {
	{ "Socket",		set_socket },
	{ "SocketMode",		set_socket_mode },
	{ "ImageRoot",		set_image_root },
	{ "LogLevel",		set_log_level },
	{ "MaxConcurrent",	set_max_concurrent },
	{ "RequestTimeoutSec",	set_request_timeout },
	{ "Seccomp",		set_seccomp },
};

void config_defaults(struct agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->socket, "/run/splitckpt/agent.sock");
	cfg->socket_mode = 0666;
	strcpy(cfg->image_root, "/var/lib/splitckpt");
	cfg->log_level = LOG_INFO;
	cfg->max_concurrent = 4;
	cfg->request_timeout = 120;
	cfg->seccomp = SECCOMP_KILL;
}

void config_dump(FILE *f, const struct agent_config *cfg)
{
	fprintf(f, "[" SECTION "]\n"
		"Socket=%s\n"
		"SocketMode=%04o\n"
		"ImageRoot=%s\n"
		"LogLevel=%s\n"
		"MaxConcurrent=%u\n"
		"RequestTimeoutSec=%u\n"
		"Seccomp=%s\n",
		cfg->socket, cfg->socket_mode, cfg->image_root,
		log_level_name(cfg->log_level), cfg->max_concurrent,
		cfg->request_timeout, cfg->seccomp == SECCOMP_KILL ? "kill" : "log");
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *p = user;
	unsigned int i;
	int r = -EINVAL;

	if (p->err_line)
		return 0;
	if (strcmp(section, SECTION)) {
		snprintf(p->err, sizeof(p->err), section[0] ?
			 "unknown section [%s]" : "'%s' comes before the [" SECTION "] section",
			 section[0] ? section : name);
	} else {
		snprintf(p->err, sizeof(p->err), "unknown key '%s'", name);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strcmp(name, keys[i].name))
				continue;
			r = keys[i].set(p->cfg, value, p->err, sizeof(p->err));
			break;
		}
	}
	if (r)
		p->err_line = p->lineno;
	return !r;
}

/* libinih's line reader; counts lines and refuses those it would split. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	ssize_t n = getline(&p->buf, &p->cap, p->f);

	if (n < 0)
		return NULL;
	p->lineno++;
	if (n + 1 > num && (n + 1 > num + 1 || p->buf[n - 1] != '\n')) {
		if (!p->err_line) {
			p->err_line = p->lineno;
			snprintf(p->err, sizeof(p->err), "line longer than %d characters",
				 num - 1);
		}
		str[0] = '\0';
		return str;
	}
	if (n + 1 > num)	/* just the newline does not fit */
		p->buf[--n] = '\0';
	memcpy(str, p->buf, n + 1);
	return str;
}

static int load_file(struct agent_config *cfg, const char *file, int must_exist)
{
	struct parse p = { .cfg = cfg, .file = file };
	int line;

	p.f = fopen(file, "re");
	if (!p.f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return log_error_errno(-errno, "%s: %m", file);
	}
	line = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.f);
	free(p.buf);
	if (line == 0 && !p.err_line)
		return 0;
	if (line > 0 && (!p.err_line || line < p.err_line)) {
		p.err_line = line;
		snprintf(p.err, sizeof(p.err),
			 "syntax error: expected [" SECTION "], Key=Value or a comment");
	}
	if (line < 0 && !p.err_line)
		return log_error_errno(-ENOMEM, "%s: %m", file);
	log_error("%s:%d: %s", file, p.err_line, p.err);
	return -EINVAL;
}

static int conf_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && !strcmp(d->d_name + n - 5, ".conf");
}

static int lexical(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int config_load(struct agent_config *cfg, const char *path, int must_exist)
{
	char dir[PATH_MAX], file[PATH_MAX + 256];
	struct dirent **list;
	int i, n, r;

	r = load_file(cfg, path, must_exist);
	if (r)
		return r;
	if (snprintf(dir, sizeof(dir), "%s.d", path) >= (int)sizeof(dir))
		return log_error_errno(-ENAMETOOLONG, "%s.d: %m", path);
	n = scandir(dir, &list, conf_filter, lexical);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		return log_error_errno(-errno, "%s: %m", dir);
	}
	for (i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "%s/%s", dir, list[i]->d_name);
		if (!r)
			r = load_file(cfg, file, 1);
		free(list[i]);
	}
	free(list);
	return r;
}
