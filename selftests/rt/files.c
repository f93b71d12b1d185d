// SPDX-License-Identifier: GPL-2.0
/* Files open mid-read, mid-write and in append mode: -d DIR. */
#include <fcntl.h>
#include "victim.h"

#define SZ (1 << 20)

static char expect(size_t i, int which)
{
	return (char)('A' + (i * 7 + which) % 26);
}

int main(int argc, char **argv)
{
	const char *dir = "/tmp";
	char path[3][512], *buf = malloc(SZ);
	int in, out, app, cl, i;
	size_t k;

	victim_args(argc, argv);
	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "-d"))
			dir = argv[i + 1];
	snprintf(path[0], sizeof(path[0]), "%s/in", dir);
	snprintf(path[1], sizeof(path[1]), "%s/out", dir);
	snprintf(path[2], sizeof(path[2]), "%s/app", dir);
	for (k = 0; k < SZ; k++)
		buf[k] = expect(k, 0);
	in = open(path[0], O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(in >= 0 && write(in, buf, SZ) == SZ, "writing %s", path[0]);
	close(in);
	in = open(path[0], O_RDONLY);
	CHECK(in >= 0 && read(in, buf, SZ / 2) == SZ / 2, "reading the first half");
	for (k = 0; k < SZ; k++)
		buf[k] = expect(k, 1);
	out = open(path[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(out >= 0 && write(out, buf, SZ / 2) == SZ / 2, "writing the first half");
	app = open(path[2], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	CHECK(app >= 0 && write(app, "one,", 4) == 4, "appending");
	cl = open(path[0], O_RDONLY | O_CLOEXEC);
	CHECK(cl >= 0, "open O_CLOEXEC");
	victim_ready();
	victim_wait();

	CHECK(lseek(in, 0, SEEK_CUR) == SZ / 2, "read offset");
	CHECK(read(in, buf, SZ / 2) == SZ / 2, "reading the second half");
	for (k = 0; k < SZ / 2; k++)
		CHECK(buf[k] == expect(k + SZ / 2, 0), "input byte %zu", k + SZ / 2);
	CHECK(read(in, buf, 1) == 0, "end of input");
	CHECK(lseek(out, 0, SEEK_CUR) == SZ / 2, "write offset");
	for (k = 0; k < SZ; k++)
		buf[k] = expect(k, 1);
	CHECK(write(out, buf + SZ / 2, SZ / 2) == SZ / 2, "writing the second half");
	CHECK(fcntl(app, F_GETFL) & O_APPEND, "O_APPEND kept");
	CHECK(write(app, "two", 3) == 3, "appending again");
	CHECK(fcntl(cl, F_GETFD) == FD_CLOEXEC, "FD_CLOEXEC kept");
	CHECK(!(fcntl(in, F_GETFD) & FD_CLOEXEC), "no FD_CLOEXEC");
	CHECK((fcntl(out, F_GETFL) & O_ACCMODE) == O_WRONLY, "write-only kept");
	close(out);
	close(app);
	out = open(path[1], O_RDONLY);
	CHECK(out >= 0 && read(out, buf, SZ) == SZ, "reading back %s", path[1]);
	for (k = 0; k < SZ; k++)
		CHECK(buf[k] == expect(k, 1), "output byte %zu", k);
	app = open(path[2], O_RDONLY);
	memset(buf, 0, 16);
	CHECK(app >= 0 && read(app, buf, 16) == 7 && !memcmp(buf, "one,two", 7),
	      "appended contents '%s'", buf);
	victim_restarted(1, NULL);
	victim_pass();
}
