// SPDX-License-Identifier: GPL-2.0
/* Prints its arguments, one environment variable and its stdin's first line. */
#include "victim.h"

int main(int argc, char **argv)
{
	char line[256] = "";
	int i;

	printf("argc=%d\n", argc);
	for (i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	printf("FOO=%s\n", getenv("FOO") ? getenv("FOO") : "(unset)");
	if (fgets(line, sizeof(line), stdin))
		printf("stdin=%s", line);
	return 3;
}
