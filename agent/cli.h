/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands of the splitckpt tool; each returns the exit status. */
#ifndef SP_CLI_H
#define SP_CLI_H

#define EXIT_FAIL	1	/* the operation failed */
#define EXIT_USAGE	2	/* bad usage */

int cmd_checkpoint(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_compact(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);

#include <stdint.h>

/*
 * --json, anywhere on the command line: print one JSON document on stdout
 * instead of text (errors stay text on stderr, with the same exit status).
 */
extern int cli_json;
/* @s as a JSON string, quoted and escaped. */
void json_str(const char *s);

/* What an image library error means, for a message. */
const char *cli_img_error(int r);
/*
 * "CMD DIR [--generation N]": the directory as an fd, or -1 with *status
 * set to the exit status (after printing why).
 */
/*
 * The newest generation of @dir (at most *@gen unless 0) that is intact
 * with everything it builds on; says on stderr which ones are not.
 */
int cli_pick_valid(const char *dir, uint64_t *gen);
int cli_open_dir(const char *cmd, int argc, char **argv, const char **dir,
		 uint64_t *gen, int *status);

#endif /* SP_CLI_H */
