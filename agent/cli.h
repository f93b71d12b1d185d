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

#endif /* SP_CLI_H */
