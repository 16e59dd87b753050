/* cmd.h: the client's commands.  Each cmd-*.c file exports one const
 * descriptor; cmd.c gathers them in cmd_table[] and generates `mino help`
 * from it. */
#ifndef MINO_CMD_H
#define MINO_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cmdopt.h"
#include "error.h"

struct client;

/* What main.c parsed from the global options.  Owns its strings. */
struct cmd_ctx {
	const struct cmd_entry *entry;
	bool verbose;
	bool no_local;
	char *config_path;   /* absolute (-c or $MINO_CONFIG), or NULL */
};


/* One subcommand: `mino config set KEY VALUE`. Rows end with { 0 }. */
struct cmd_sub {
	const char *name;
	const char *args;    /* "KEY VALUE", or "" */
	const char *help;
};

/* What a command's positional arguments are, for completion. */
enum cmd_args {
	CMD_ARGS_NONE,
	CMD_ARGS_SESSION,    /* a session name */
	CMD_ARGS_COMMAND,    /* a mino command */
	CMD_ARGS_SHELL,      /* a shell name */
	CMD_ARGS_SUB,        /* a subcommand (config: keys after `set`) */
};

struct cmd_entry {
	const char *name;
	const char *alias;
	const char *usage;   /* arguments after the name */
	const char *summary; /* one line */
	const char *help;    /* prose after the options in `mino help NAME`, or NULL */
	unsigned flags;
#define CMD_STARTDAEMON 0x1  /* may auto-start minod */
	const struct cmd_opt *opts;        /* NULL: only -h, --help */
	const struct cmd_sub *subs;        /* NULL: no subcommands */
	const struct option *longopts;     /* the getopt array, for the consistency test */
	enum cmd_args args;
	int (*exec)(struct cmd_ctx *ctx, int argc, char **argv);
};

/* Exit statuses of mino's own outcomes. */
#define CMD_EXIT_OK 0
#define CMD_EXIT_ERROR 1
#define CMD_EXIT_USAGE 2

extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_exec_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_image_entry;
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_attach_entry;
extern const struct cmd_entry cmd_rpc_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_init_entry;
extern const struct cmd_entry cmd_cache_entry;
extern const struct cmd_entry cmd_completions_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_network_entry;
extern const struct cmd_entry cmd_setup_entry;

extern const struct cmd_entry *const cmd_table[];

/* mino's global options (before the command), for help, the man page
 * and completions. */
extern const struct cmd_opt cmd_global_opts[];
/* The getopt array main.c parses the global options with. */
extern const struct option cmd_global_longopts[];
enum { CMD_OPT_NO_LOCAL = 0x100, CMD_OPT_VERSION };

/* The protocol version this client speaks (mino --version). */
extern const int cmd_protocol_version;

/* By name or alias; NULL if none. */
const struct cmd_entry *cmd_find(const char *name);

/* `mino help` (entry NULL) or `mino help NAME`, to `f`. */
void cmd_print_help(FILE *f, const struct cmd_entry *entry);
/* "mino VERSION (protocol N)" */
void cmd_print_version(FILE *f);

/* Reset getopt before a command parses its own argv. */
void cmd_getopt_reset(void);

/* After getopt_long returned '?' or ':': prints the one-line usage error
 * ("mino: unknown option `--x` for `run` (see mino help run)") and returns
 * CMD_EXIT_USAGE.  entry NULL means the global options. */
int cmd_getopt_error(const struct cmd_entry *entry, int c, char **argv);

/* Prints "mino: <fmt> (see mino help NAME)" and returns CMD_EXIT_USAGE. */
int cmd_usage_error(const struct cmd_entry *entry, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints "mino: <message>" for *err, releases it, returns CMD_EXIT_ERROR. */
int cmd_report(struct mino_error **err);

/* Connects (auto-starting minod if the command has CMD_STARTDAEMON) and
 * says hello.  On failure reports the error and returns CMD_EXIT_ERROR;
 * on success returns 0 with *out. */
int cmd_connect(struct cmd_ctx *ctx, struct client **out);

#endif
