// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's log: one write(2) per line on stderr.  When stderr is the
 * journal (JOURNAL_STREAM names it), each line starts with "<N>", its
 * syslog priority, which journald turns into the entry's priority;
 * otherwise with "splitckptd: ".  Safe from any thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "daemon.h"

static int max_level = LOG_INFO;
static int journal;

static const char *const names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

void log_open(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	journal = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 &&
		  !fstat(STDERR_FILENO, &st) && st.st_dev == dev && st.st_ino == ino;
}

void log_set_max_level(int level)
{
	max_level = level;
}

int log_level_parse(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]) || (s[0] == '0' + (int)i && !s[1]))
			return i;
	return -EINVAL;
}

const char *log_level_name(int level)
{
	return names[level];
}

int log_full_errno(int level, int err, const char *fmt, ...)
{
	char line[4608];
	va_list ap;
	ssize_t w;
	int n, saved = errno;

	if (level > max_level)
		return err;
	n = journal ? snprintf(line, sizeof(line), "<%d>", level) :
		      snprintf(line, sizeof(line), "splitckptd: ");
	errno = -err;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* A failed write leaves nowhere to say so. */
	w = write(STDERR_FILENO, line, n);
	(void)w;
	errno = saved;
	return err;
}
