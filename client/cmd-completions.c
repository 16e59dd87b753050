/* cmd-completions.c: mino completions bash|zsh|fish.
 *
 * The scripts are generated from cmd_table[] (commands, aliases, the
 * option rows cmd_entry.opts with their value hints, subcommands
 * cmd_entry.subs) and the configuration key table (keys for `config
 * set`): the tables `--help` and the man pages are made from.  Session
 * names are completed at completion time by `mino list -f plain`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfgkeys.h"
#include "cmd.h"
#include "xalloc.h"

/* One option: "-p|--project", whether it takes a value and how that
 * value completes (cmd_opt.values). */
struct comp_opt {
	char *names;
	bool value;
	const char *values;
};

/* What a command's positional arguments are. */
enum comp_kind {
	COMP_NONE,
	COMP_SESSION,
	COMP_SUB,         /* subcommand; config: then keys for `set`, files for `trust` */
	COMP_COMMAND,
	COMP_SHELL,
};

struct comp_cmd {
	const struct cmd_entry *e;
	struct comp_opt *opts;
	size_t n;
	enum comp_kind kind;
	char *subs;       /* the subcommands' names, blank-separated, or "" */
};

/* How an option's value is completed. */
enum comp_value {
	COMP_VALUE_NONE,
	COMP_VALUE_DIR,
	COMP_VALUE_FILE,
	COMP_VALUE_WORDS,
};

static int cmd_completions_exec(struct cmd_ctx *ctx, int argc, char **argv);
static void comp_add(struct comp_cmd *c, const struct cmd_opt *o);
static void comp_add_opts(struct comp_cmd *c, const struct cmd_opt *opts);
static char *comp_sub_names(const struct cmd_sub *subs);
static void comp_cmd_init(struct comp_cmd *c, const struct cmd_entry *e);
static void comp_cmd_free(struct comp_cmd *c);
static enum comp_kind comp_kind_of(const struct cmd_entry *e);
static enum comp_value comp_value_of(const struct comp_opt *o, struct buf *words);
static void comp_names(const struct comp_cmd *c, char sep, bool all, struct buf *out);
static void comp_words(const struct comp_cmd *c, struct buf *out);
static void comp_command_words(struct buf *out);
static void comp_key_words(struct buf *out);
static void comp_quote_sh(const char *s, struct buf *out);
static void comp_bash(struct buf *out);
static void comp_bash_values(const struct comp_cmd *c, struct buf *out);
static void comp_bash_command(const struct comp_cmd *c, struct buf *out);
static void comp_zsh(struct buf *out);
static void comp_zsh_values(const struct comp_cmd *c, struct buf *out);
static void comp_zsh_command(const struct comp_cmd *c, struct buf *out);
static void comp_fish(struct buf *out);
static void comp_fish_options(const struct comp_cmd *c, const char *cond, struct buf *out);

static const char comp_shells[] = "bash zsh fish";
static const struct cmd_opt comp_help_opt = { 'h', "help", NULL, "show this help", NULL };

static const struct option cmd_completions_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct cmd_opt cmd_completions_opts[] = {
	{ 0 },
};

const struct cmd_entry cmd_completions_entry = {
	.name = "completions",
	.alias = NULL,
	.usage = "bash|zsh|fish",
	.summary = "print a shell completion script",
	.help =
		"Completes commands, options, session names (asks minod at completion time)\n"
		"and configuration keys.  Install:\n"
		"  mino completions bash > ~/.local/share/bash-completion/completions/mino\n"
		"  mino completions zsh > \"${fpath[1]}/_mino\"\n"
		"  mino completions fish > ~/.config/fish/completions/mino.fish\n"
		"or add eval \"$(mino completions bash)\" to your shell's rc file.  elvish and\n"
		"powershell are refused with a message: their scripts are not generated.\n",
	.flags = 0,
	.opts = cmd_completions_opts,
	.longopts = cmd_completions_options,
	.args = CMD_ARGS_SHELL,
	.exec = cmd_completions_exec,
};

/* ---------------------------------------------------------------- the model */

static void
comp_add(struct comp_cmd *c, const struct cmd_opt *o)
{
	struct buf names;

	buf_init(&names);
	if (o->short_name != 0)
		buf_printf(&names, "-%c", o->short_name);
	if (o->long_name != NULL)
		buf_printf(&names, "%s--%s", names.len > 0 ? "|" : "", o->long_name);
	c->opts = xreallocarray(c->opts, c->n + 1, sizeof *c->opts);
	c->opts[c->n].names = xstrndup(names.data, names.len);
	c->opts[c->n].value = o->arg != NULL;
	c->opts[c->n].values = o->values;
	c->n++;
	buf_free(&names);
}

static void
comp_add_opts(struct comp_cmd *c, const struct cmd_opt *opts)
{
	for (const struct cmd_opt *o = opts; o != NULL && (o->short_name != 0 || o->long_name != NULL);
	     o++)
		comp_add(c, o);
	comp_add(c, &comp_help_opt);
}

/* "show path init set trust": each name once, in table order. */
static char *
comp_sub_names(const struct cmd_sub *subs)
{
	struct buf b;
	char *out;

	buf_init(&b);
	for (const struct cmd_sub *s = subs; s != NULL && s->name != NULL; s++) {
		bool seen = false;

		for (const struct cmd_sub *t = subs; t < s; t++)
			seen = seen || strcmp(t->name, s->name) == 0;
		if (!seen)
			buf_printf(&b, "%s%s", b.len > 0 ? " " : "", s->name);
	}
	out = xstrndup(b.len > 0 ? b.data : "", b.len);
	buf_free(&b);
	return out;
}

static enum comp_kind
comp_kind_of(const struct cmd_entry *e)
{
	switch (e->args) {
	case CMD_ARGS_SESSION:
		return COMP_SESSION;
	case CMD_ARGS_COMMAND:
		return COMP_COMMAND;
	case CMD_ARGS_SHELL:
		return COMP_SHELL;
	case CMD_ARGS_SUB:
		return COMP_SUB;
	case CMD_ARGS_NONE:
		break;
	}
	return COMP_NONE;
}

static void
comp_cmd_init(struct comp_cmd *c, const struct cmd_entry *e)
{
	memset(c, 0, sizeof *c);
	c->e = e;
	comp_add_opts(c, e != NULL ? e->opts : cmd_global_opts);
	c->subs = comp_sub_names(e != NULL ? e->subs : NULL);
	if (e != NULL)
		c->kind = comp_kind_of(e);
}

static void
comp_cmd_free(struct comp_cmd *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->opts[i].names);
	free(c->opts);
	free(c->subs);
	c->opts = NULL;
	c->subs = NULL;
	c->n = 0;
}

/* What completes the value of the option `o`; words into *words. */
static enum comp_value
comp_value_of(const struct comp_opt *o, struct buf *words)
{
	if (o->values == NULL)
		return COMP_VALUE_NONE;
	if (strcmp(o->values, CMD_VALUES_DIR) == 0)
		return COMP_VALUE_DIR;
	if (strcmp(o->values, CMD_VALUES_FILE) == 0)
		return COMP_VALUE_FILE;
	buf_printf(words, "%s", o->values);
	return COMP_VALUE_WORDS;
}

/* The spellings of the options (`all`: every option, else only the
 * value-taking ones), joined by `sep`. */
static void
comp_names(const struct comp_cmd *c, char sep, bool all, struct buf *out)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (!all && !c->opts[i].value)
			continue;
		if (n++ > 0)
			buf_printf(out, "%c", sep);
		for (const char *p = c->opts[i].names; *p != '\0'; p++)
			buf_printf(out, "%c", *p == '|' ? sep : *p);
	}
}

/* Every spelling, blank-separated. */
static void
comp_words(const struct comp_cmd *c, struct buf *out)
{
	comp_names(c, ' ', true, out);
}

static void
comp_command_words(struct buf *out)
{
	for (const struct cmd_entry *const *e = cmd_table; *e != NULL; e++) {
		buf_printf(out, "%s%s", e == cmd_table ? "" : " ", (*e)->name);
		if ((*e)->alias != NULL)
			buf_printf(out, " %s", (*e)->alias);
	}
}

static void
comp_key_words(struct buf *out)
{
	for (size_t i = 0; i < cfgkeys_count; i++)
		buf_printf(out, "%s%s", i > 0 ? " " : "", cfgkeys_table[i].name);
}

/* 'text' for sh-like shells. */
static void
comp_quote_sh(const char *s, struct buf *out)
{
	buf_printf(out, "'");
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			buf_printf(out, "'\\''");
		else
			buf_printf(out, "%c", *s);
	}
	buf_printf(out, "'");
}

/* ---------------------------------------------------------------- bash */

/* case arms completing the value of this command's value-taking options;
 * returns from _mino when prev is one. */
static void
comp_bash_values(const struct comp_cmd *c, struct buf *out)
{
	for (size_t i = 0; i < c->n; i++) {
		struct buf words;
		enum comp_value v;

		if (!c->opts[i].value)
			continue;
		buf_init(&words);
		v = comp_value_of(&c->opts[i], &words);
		buf_printf(out, "\t\t%s)\n", c->opts[i].names);
		if (v == COMP_VALUE_DIR)
			buf_printf(out, "\t\t\tCOMPREPLY=($(compgen -d -- \"$cur\"))\n");
		else if (v == COMP_VALUE_FILE)
			buf_printf(out, "\t\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n");
		else if (v == COMP_VALUE_WORDS)
			buf_printf(out, "\t\t\tCOMPREPLY=($(compgen -W '%.*s' -- \"$cur\"))\n",
				(int)words.len, words.data);
		buf_printf(out, "\t\t\treturn ;;\n");
		buf_free(&words);
	}
}

static void
comp_bash_command(const struct comp_cmd *c, struct buf *out)
{
	struct buf b;

	buf_printf(out, "\t%s%s%s)\n", c->e->name, c->e->alias != NULL ? "|" : "",
		c->e->alias != NULL ? c->e->alias : "");
	buf_init(&b);
	comp_words(c, &b);
	buf_printf(out, "\t\topts='%.*s'\n", (int)b.len, b.data);
	buf_free(&b);
	buf_init(&b);
	comp_names(c, ' ', false, &b);
	buf_printf(out, "\t\tvalued=' %.*s '\n", (int)b.len, b.data);
	buf_free(&b);
	buf_printf(out, "\t\tsubs='%s'\n", c->subs);
	buf_printf(out, "\t\tkind=%s\n\t\tcase $prev in\n",
		c->kind == COMP_SESSION ? "session" : c->kind == COMP_SUB ? "sub" :
		c->kind == COMP_COMMAND ? "command" : c->kind == COMP_SHELL ? "shell" : "none");
	comp_bash_values(c, out);
	buf_printf(out, "\t\tesac ;;\n");
}

static void
comp_bash(struct buf *out)
{
	struct comp_cmd g;
	struct buf b;

	comp_cmd_init(&g, NULL);
	buf_printf(out,
		"# bash completion for mino (generated by `mino completions bash`).\n"
		"# mino completions bash > ~/.local/share/bash-completion/completions/mino\n"
		"\n"
		"_mino_sessions()\n{\n"
		"\tcommand mino list -f plain 2>/dev/null\n}\n\n"
		"_mino()\n{\n"
		"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev= cmd= at=0 sub= nargs=0 i w\n"
		"\tlocal opts= valued= subs= kind=none skip=0\n"
		"\tCOMPREPLY=()\n"
		"\t(( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}\n"
		"\tfor (( i = 1; i < COMP_CWORD; i++ )); do\n"
		"\t\tw=${COMP_WORDS[i]}\n"
		"\t\tcase $w in\n");
	buf_init(&b);
	comp_names(&g, '|', false, &b);
	buf_printf(out, "\t\t%.*s) (( i++ )) ;;\n", (int)b.len, b.data);
	buf_free(&b);
	buf_printf(out,
		"\t\t-*) ;;\n"
		"\t\t*) cmd=$w; at=$i; break ;;\n"
		"\t\tesac\n"
		"\tdone\n"
		"\tif [[ -z $cmd ]]; then\n"
		"\t\tcase $prev in\n");
	comp_bash_values(&g, out);
	buf_printf(out, "\t\tesac\n\t\tif [[ $cur == -* ]]; then\n");
	buf_init(&b);
	comp_words(&g, &b);
	buf_printf(out, "\t\t\tCOMPREPLY=($(compgen -W '%.*s' -- \"$cur\"))\n", (int)b.len, b.data);
	buf_free(&b);
	buf_init(&b);
	comp_command_words(&b);
	buf_printf(out, "\t\telse\n\t\t\tCOMPREPLY=($(compgen -W '%.*s' -- \"$cur\"))\n"
		"\t\tfi\n\t\treturn\n\tfi\n"
		"\tcase $cmd in\n", (int)b.len, b.data);
	buf_free(&b);
	comp_cmd_free(&g);
	for (const struct cmd_entry *const *e = cmd_table; *e != NULL; e++) {
		struct comp_cmd c;

		comp_cmd_init(&c, *e);
		comp_bash_command(&c, out);
		comp_cmd_free(&c);
	}
	buf_printf(out,
		"\t*) return ;;\n"
		"\tesac\n"
		"\tfor (( i = at + 1; i < COMP_CWORD; i++ )); do\n"
		"\t\tw=${COMP_WORDS[i]}\n"
		"\t\tif (( skip )); then skip=0; continue; fi\n"
		"\t\tcase $w in\n"
		"\t\t--) return ;;\n"
		"\t\t-*) [[ $valued == *\" $w \"* ]] && skip=1 ;;\n"
		"\t\t*) [[ -z $sub ]] && sub=$w; (( nargs++ )) ;;\n"
		"\t\tesac\n"
		"\tdone\n"
		"\tif [[ $cur == -* ]]; then\n"
		"\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
		"\t\treturn\n"
		"\tfi\n"
		"\tcase $kind in\n"
		"\tsession)\n"
		"\t\t(( nargs == 0 )) && COMPREPLY=($(compgen -W \"$(_mino_sessions)\" -- \"$cur\")) ;;\n");
	buf_init(&b);
	comp_command_words(&b);
	buf_printf(out, "\tcommand)\n\t\t(( nargs == 0 )) && COMPREPLY=($(compgen -W '%.*s' -- \"$cur\")) ;;\n",
		(int)b.len, b.data);
	buf_free(&b);
	buf_printf(out, "\tshell)\n\t\t(( nargs == 0 )) && COMPREPLY=($(compgen -W '%s' -- \"$cur\")) ;;\n",
		comp_shells);
	buf_init(&b);
	comp_key_words(&b);
	buf_printf(out,
		"\tsub)\n"
		"\t\tif (( nargs == 0 )); then\n"
		"\t\t\tCOMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
		"\t\telif [[ $cmd == config && $sub == set ]] && (( nargs == 1 )); then\n"
		"\t\t\tCOMPREPLY=($(compgen -W '%.*s' -- \"$cur\"))\n"
		"\t\telif [[ $cmd == config && $sub == trust ]] && (( nargs == 1 )); then\n"
		"\t\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
		"\t\tfi ;;\n"
		"\tesac\n"
		"}\n\n"
		"complete -F _mino mino\n", (int)b.len, b.data);
	buf_free(&b);
}

/* ---------------------------------------------------------------- zsh */

static void
comp_zsh_values(const struct comp_cmd *c, struct buf *out)
{
	for (size_t i = 0; i < c->n; i++) {
		struct buf words;
		enum comp_value v;

		if (!c->opts[i].value)
			continue;
		buf_init(&words);
		v = comp_value_of(&c->opts[i], &words);
		buf_printf(out, "\t\t%s)\n\t\t\t", c->opts[i].names);
		if (v == COMP_VALUE_DIR)
			buf_printf(out, "_files -/");
		else if (v == COMP_VALUE_FILE)
			buf_printf(out, "_files");
		else if (v == COMP_VALUE_WORDS)
			buf_printf(out, "compadd -- %.*s", (int)words.len, words.data);
		else
			buf_printf(out, ":");
		buf_printf(out, "\n\t\t\treturn ;;\n");
		buf_free(&words);
	}
}

static void
comp_zsh_command(const struct comp_cmd *c, struct buf *out)
{
	struct buf b;

	buf_printf(out, "\t%s%s%s)\n", c->e->name, c->e->alias != NULL ? "|" : "",
		c->e->alias != NULL ? c->e->alias : "");
	buf_init(&b);
	comp_words(c, &b);
	buf_printf(out, "\t\topts=(%.*s)\n", (int)b.len, b.data);
	buf_free(&b);
	buf_init(&b);
	comp_names(c, ' ', false, &b);
	buf_printf(out, "\t\tvalued=(%.*s)\n", (int)b.len, b.data);
	buf_free(&b);
	buf_printf(out, "\t\tsubs=(%s)\n", c->subs);
	buf_printf(out, "\t\tkind=%s\n\t\tcase $prev in\n",
		c->kind == COMP_SESSION ? "session" : c->kind == COMP_SUB ? "sub" :
		c->kind == COMP_COMMAND ? "command" : c->kind == COMP_SHELL ? "shell" : "none");
	comp_zsh_values(c, out);
	buf_printf(out, "\t\tesac ;;\n");
}

static void
comp_zsh(struct buf *out)
{
	struct comp_cmd g;
	struct buf b;

	comp_cmd_init(&g, NULL);
	buf_printf(out,
		"#compdef mino\n"
		"# zsh completion for mino (generated by `mino completions zsh`).\n"
		"# mino completions zsh > \"${fpath[1]}/_mino\"\n"
		"\n"
		"_mino_sessions()\n{\n"
		"\tlocal -a s\n"
		"\ts=(${(f)\"$(command mino list -f plain 2>/dev/null)\"})\n"
		"\tcompadd -a s\n}\n\n"
		"_mino()\n{\n"
		"\tlocal cur=${words[CURRENT]} prev=${words[CURRENT-1]} cmd= sub= w\n"
		"\tlocal -i i at=0 nargs=0 skip=0\n"
		"\tlocal -a opts valued subs commands\n"
		"\tlocal kind=none\n"
		"\tcommands=(\n");
	for (const struct cmd_entry *const *e = cmd_table; *e != NULL; e++) {
		_cleanup_free_ char *item = xasprintf("%s:%s", (*e)->name, (*e)->summary);

		buf_printf(out, "\t\t");
		comp_quote_sh(item, out);
		buf_printf(out, "\n");
		if ((*e)->alias != NULL) {
			_cleanup_free_ char *alias = xasprintf("%s:%s", (*e)->alias, (*e)->summary);

			buf_printf(out, "\t\t");
			comp_quote_sh(alias, out);
			buf_printf(out, "\n");
		}
	}
	buf_printf(out,
		"\t)\n"
		"\tfor (( i = 2; i < CURRENT; i++ )); do\n"
		"\t\tw=${words[i]}\n"
		"\t\tcase $w in\n");
	buf_init(&b);
	comp_names(&g, '|', false, &b);
	buf_printf(out, "\t\t%.*s) (( i++ )) ;;\n", (int)b.len, b.data);
	buf_free(&b);
	buf_printf(out,
		"\t\t-*) ;;\n"
		"\t\t*) cmd=$w; at=$i; break ;;\n"
		"\t\tesac\n"
		"\tdone\n"
		"\tif [[ -z $cmd ]]; then\n"
		"\t\tcase $prev in\n");
	comp_zsh_values(&g, out);
	buf_init(&b);
	comp_words(&g, &b);
	buf_printf(out, "\t\tesac\n\t\tif [[ $cur == -* ]]; then\n"
		"\t\t\tcompadd -- %.*s\n"
		"\t\telse\n\t\t\t_describe command commands\n"
		"\t\tfi\n\t\treturn\n\tfi\n"
		"\tcase $cmd in\n", (int)b.len, b.data);
	buf_free(&b);
	comp_cmd_free(&g);
	for (const struct cmd_entry *const *e = cmd_table; *e != NULL; e++) {
		struct comp_cmd c;

		comp_cmd_init(&c, *e);
		comp_zsh_command(&c, out);
		comp_cmd_free(&c);
	}
	buf_printf(out,
		"\t*) return ;;\n"
		"\tesac\n"
		"\tfor (( i = at + 1; i < CURRENT; i++ )); do\n"
		"\t\tw=${words[i]}\n"
		"\t\tif (( skip )); then skip=0; continue; fi\n"
		"\t\tcase $w in\n"
		"\t\t--) return ;;\n"
		"\t\t-*) (( ${valued[(Ie)$w]} )) && skip=1 ;;\n"
		"\t\t*) [[ -z $sub ]] && sub=$w; (( nargs++ )) ;;\n"
		"\t\tesac\n"
		"\tdone\n"
		"\tif [[ $cur == -* ]]; then\n"
		"\t\tcompadd -a opts\n"
		"\t\treturn\n"
		"\tfi\n"
		"\tcase $kind in\n"
		"\tsession) (( nargs == 0 )) && _mino_sessions ;;\n"
		"\tcommand) (( nargs == 0 )) && _describe command commands ;;\n"
		"\tshell) (( nargs == 0 )) && compadd -- %s ;;\n", comp_shells);
	buf_init(&b);
	comp_key_words(&b);
	buf_printf(out,
		"\tsub)\n"
		"\t\tif (( nargs == 0 )); then\n"
		"\t\t\tcompadd -a subs\n"
		"\t\telif [[ $cmd == config && $sub == set ]] && (( nargs == 1 )); then\n"
		"\t\t\tcompadd -- %.*s\n"
		"\t\telif [[ $cmd == config && $sub == trust ]] && (( nargs == 1 )); then\n"
		"\t\t\t_files\n"
		"\t\tfi ;;\n"
		"\tesac\n"
		"}\n\n"
		"if [[ ${funcstack[1]} == _mino ]]; then\n"
		"\t_mino \"$@\"\n"
		"else\n"
		"\tcompdef _mino mino\n"
		"fi\n", (int)b.len, b.data);
	buf_free(&b);
}

/* ---------------------------------------------------------------- fish */

static void
comp_fish_options(const struct comp_cmd *c, const char *cond, struct buf *out)
{
	for (size_t i = 0; i < c->n; i++) {
		struct buf words;
		enum comp_value v;
		const char *p = c->opts[i].names;

		buf_printf(out, "complete -c mino -n '%s'", cond);
		while (*p != '\0') {
			size_t n = strcspn(p, "|");

			if (p[1] == '-')
				buf_printf(out, " -l %.*s", (int)(n - 2), p + 2);
			else if (n == 2)
				buf_printf(out, " -s %c", p[1]);
			else
				buf_printf(out, " -o %.*s", (int)(n - 1), p + 1);
			p += n;
			p += *p == '|';
		}
		if (c->opts[i].value) {
			buf_init(&words);
			v = comp_value_of(&c->opts[i], &words);
			buf_printf(out, " -r");
			if (v == COMP_VALUE_DIR)
				buf_printf(out, " -a '(__fish_complete_directories)'");
			else if (v == COMP_VALUE_FILE)
				buf_printf(out, " -F");
			else if (v == COMP_VALUE_WORDS)
				buf_printf(out, " -a '%.*s'", (int)words.len, words.data);
			buf_free(&words);
		}
		buf_printf(out, "\n");
	}
}

static void
comp_fish(struct buf *out)
{
	struct comp_cmd g;
	struct buf b;

	comp_cmd_init(&g, NULL);
	buf_init(&b);
	comp_names(&g, ' ', false, &b);
	buf_printf(out,
		"# fish completion for mino (generated by `mino completions fish`).\n"
		"# mino completions fish > ~/.config/fish/completions/mino.fish\n"
		"\n"
		"function __mino_sessions\n"
		"\tcommand mino list -f plain 2>/dev/null\n"
		"end\n\n"
		"# The command word: the first word that is neither an option nor the\n"
		"# value of a global option that takes one.\n"
		"function __mino_command\n"
		"\tset -l skip 0\n"
		"\tfor t in (commandline -opc)[2..-1]\n"
		"\t\tif test $skip = 1\n"
		"\t\t\tset skip 0\n"
		"\t\t\tcontinue\n"
		"\t\tend\n"
		"\t\tswitch $t\n"
		"\t\tcase %.*s\n"
		"\t\t\tset skip 1\n"
		"\t\tcase '-*'\n"
		"\t\tcase '*'\n"
		"\t\t\techo $t\n"
		"\t\t\treturn 0\n"
		"\t\tend\n"
		"\tend\n"
		"\treturn 1\n"
		"end\n\n"
		"function __mino_use_command\n"
		"\tnot __mino_command >/dev/null\n"
		"end\n\n"
		"function __mino_is\n"
		"\tcontains -- (__mino_command) $argv\n"
		"end\n\n"
		"complete -c mino -f\n", (int)b.len, b.data);
	buf_free(&b);
	comp_fish_options(&g, "__mino_use_command", out);
	comp_cmd_free(&g);
	for (const struct cmd_entry *const *e = cmd_table; *e != NULL; e++) {
		_cleanup_free_ char *cond = NULL;
		struct comp_cmd c;

		buf_printf(out, "complete -c mino -n __mino_use_command -a %s -d ", (*e)->name);
		comp_quote_sh((*e)->summary, out); /* 'a'\''b' is one word in fish too */
		buf_printf(out, "\n");
		if ((*e)->alias != NULL)
			buf_printf(out, "complete -c mino -n __mino_use_command -a %s\n", (*e)->alias);
		cond = xasprintf("__mino_is %s%s%s", (*e)->name,
			(*e)->alias != NULL ? " " : "", (*e)->alias != NULL ? (*e)->alias : "");
		comp_cmd_init(&c, *e);
		comp_fish_options(&c, cond, out);
		switch (c.kind) {
		case COMP_SESSION:
			buf_printf(out, "complete -c mino -n '%s' -a '(__mino_sessions)'\n", cond);
			break;
		case COMP_COMMAND:
			buf_init(&b);
			comp_command_words(&b);
			buf_printf(out, "complete -c mino -n '%s' -a '%.*s'\n", cond, (int)b.len, b.data);
			buf_free(&b);
			break;
		case COMP_SHELL:
			buf_printf(out, "complete -c mino -n '%s' -a '%s'\n", cond, comp_shells);
			break;
		case COMP_SUB:
			buf_printf(out, "complete -c mino -n '%s; and not __fish_seen_subcommand_from %s' "
				"-a '%s'\n", cond, c.subs, c.subs);
			if (strcmp((*e)->name, "config") != 0)
				break;
			buf_init(&b);
			comp_key_words(&b);
			buf_printf(out, "complete -c mino -n '%s; and __fish_seen_subcommand_from set' "
				"-a '%.*s'\n", cond, (int)b.len, b.data);
			buf_free(&b);
			buf_printf(out, "complete -c mino -n '%s; and __fish_seen_subcommand_from trust' -F\n",
				cond);
			break;
		case COMP_NONE:
			break;
		}
		comp_cmd_free(&c);
	}
}

/* ---------------------------------------------------------------- command */

static int
cmd_completions_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct buf out;
	int ch;

	(void)ctx;
	while ((ch = getopt_long(argc, argv, "+:h", cmd_completions_options, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_print_help(stdout, &cmd_completions_entry);
			return CMD_EXIT_OK;
		default:
			return cmd_getopt_error(&cmd_completions_entry, ch, argv);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(&cmd_completions_entry, "which shell? (bash, zsh or fish)");
	if (optind + 1 < argc)
		return cmd_usage_error(&cmd_completions_entry, "unexpected argument `%s`",
			argv[optind + 1]);
	buf_init(&out);
	if (strcmp(argv[optind], "bash") == 0)
		comp_bash(&out);
	else if (strcmp(argv[optind], "zsh") == 0)
		comp_zsh(&out);
	else if (strcmp(argv[optind], "fish") == 0)
		comp_fish(&out);
	else if (strcmp(argv[optind], "elvish") == 0 || strcmp(argv[optind], "powershell") == 0) {
		buf_free(&out);
		fprintf(stderr, "mino: completions for %s are not generated; use bash, zsh or fish "
			"(mino completions bash|zsh|fish)\n", argv[optind]);
		return CMD_EXIT_USAGE;
	} else {
		buf_free(&out);
		return cmd_usage_error(&cmd_completions_entry, "unknown shell `%s` (bash, zsh or fish)",
			argv[optind]);
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	return CMD_EXIT_OK;
}
