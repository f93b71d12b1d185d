// SPDX-License-Identifier: LGPL-2.1-or-later
/* Small helpers shared by the runtime and the tools. */
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"

int sp_abspath(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return snprintf(out, len, "%s", path) < (int)len ? 0 : -ENAMETOOLONG;
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	return snprintf(out, len, "%s/%s", cwd, path) < (int)len ? 0 : -ENAMETOOLONG;
}

int sp_parse_count(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int sp_handle(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa = {
		.sa_sigaction = fn,
		.sa_flags = SA_SIGINFO | SA_RESTART,
	};

	sigfillset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) ? -errno : 0;
}

int sp_explain(char *msg, size_t len, int r, const char *fmt, va_list ap)
{
	int n = vsnprintf(msg, len, fmt, ap);

	if (n >= 0 && (size_t)n < len && r)
		snprintf(msg + n, len - n, ": %s", strerror(-r));
	return r;
}
