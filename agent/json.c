// SPDX-License-Identifier: GPL-2.0
/* --json output of the splitckpt tool: one JSON document on stdout. */
#include <stdio.h>

#include "cli.h"

int cli_json;

void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}
