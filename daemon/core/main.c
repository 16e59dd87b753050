/* main.c: minod's start-up: arguments, privileges, paths, environment for
 * children, configuration, signals; then the loop until shutdown. */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "mino-build.h"
#include "cfgfile.h"
#include "cmdopt.h"
#include "fsutil.h"
#include "log.h"
#include "mino-protocol.h"
#include "cache.h"
#include "minod.h"
#include "paths.h"
#include "podman.h"
#include "prereq.h"
#include "server.h"
#include "xalloc.h"

extern char **environ;

struct minod minod;

static uv_loop_t main_loop;
static uv_signal_t main_sigterm, main_sigint, main_sighup, main_sigusr2;
static bool main_verbose;

/* Variables children may see; everything else (NOTIFY_SOCKET, LISTEN_*,
 * WATCHDOG_*, ...) is dropped. */
static const char *const main_env_allow[] = {
	"PATH", "HOME", "USER", "LOGNAME", "LANG", "TERM", "XDG_RUNTIME_DIR",
	"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "CONTAINERS_CONF",
	"CONTAINERS_STORAGE_CONF", "TMPDIR", "SSH_AUTH_SOCK",
};

static void
main_usage(FILE *f)
{
	fprintf(f,
		"usage: minod [-v] [--foreground] [--ready-fd N] [--allow-root]\n"
		"       minod --version | --help\n"
		"\n"
		"The mino sandbox daemon.  Listens on $XDG_RUNTIME_DIR/mino.sock.\n");
	cmdopt_print(f, cmdopt_minod, true);
}

static int
main_parse_args(int argc, char **argv, int *ready_fd, bool *allow_root)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long n;
	int ch;

	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			main_verbose = true;
			break;
		case 'R':
			*allow_root = true;
			break;
		case 'V':
			printf("minod %s (protocol %d)\n", MINO_VERSION, MINO_PROTOCOL_VERSION);
			exit(0);
		case 'h':
			main_usage(stdout);
			exit(0);
		case 'f':
			break;
		case 'r':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || n < 0 || n > 65535) {
				fprintf(stderr, "minod: --ready-fd: not a file descriptor: %s\n", optarg);
				return -1;
			}
			*ready_fd = (int)n;
			break;
		default:
			main_usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "minod: unexpected argument: %s\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int
main_check_privileges(bool allow_root)
{
	if (getuid() != geteuid() || getgid() != getegid()) {
		fprintf(stderr, "minod: refusing to run setuid or setgid\n");
		return -1;
	}
	if (geteuid() == 0 && !allow_root) {
		fprintf(stderr, "minod: refusing to run as root (rootless podman is the point; "
			"--allow-root overrides)\n");
		return -1;
	}
	return 0;
}

static bool
main_env_allowed(const char *kv)
{
	size_t n = strcspn(kv, "=");

	if (kv[n] != '=')
		return false;
	if (strncmp(kv, "LC_", 3) == 0)
		return true;
	for (size_t i = 0; i < sizeof main_env_allow / sizeof main_env_allow[0]; i++)
		if (strlen(main_env_allow[i]) == n && strncmp(kv, main_env_allow[i], n) == 0)
			return true;
	return false;
}

static char **
main_child_env(void)
{
	size_t n = 0, k = 0;
	char **env;

	for (char **e = environ; *e != NULL; e++)
		n++;
	env = xcalloc(n + 1, sizeof *env);
	for (char **e = environ; *e != NULL; e++)
		if (main_env_allowed(*e))
			env[k++] = xstrdup(*e);
	return env;
}

static char *
main_helper_dir(void)
{
	_cleanup_free_ char *self = NULL;
	_cleanup_free_ char *helper = NULL;
	struct mino_error *err = NULL;

	if (paths_self_dir(&self, &err) < 0) {
		log_debug("%s", err->msg);
		mino_error_release(&err);
		return xstrdup(MINO_LIBEXECDIR);
	}
	helper = xasprintf("%s/mino-pty-exec", self);
	if (access(helper, X_OK) == 0)
		return steal_pointer(&self);
	return xstrdup(MINO_LIBEXECDIR);
}

/* mino-entry: beside minod's helpers when installed (libexecdir), in the
 * entry/ subdirectory of a build tree.  NULL if neither has it. */
static char *
main_entry_path(void)
{
	const char *const subs[] = { "mino-entry", "entry/mino-entry" };
	char *cand;

	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
		cand = xasprintf("%s/%s", minod.helper_dir, subs[i]);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	log_warn("mino-entry not found in `%s`; sessions cannot start", minod.helper_dir);
	return NULL;
}

/* defaults < the global config file.  On error *cfg is the defaults. */
static int
main_load_config(struct cfg *cfg, struct mino_error **err)
{
	_cleanup_free_ char *path = NULL;
	struct cfg_layer global;
	bool found;

	cfg_init(cfg);
	if (paths_config_file(NULL, &path, err) < 0 ||
	    cfgfile_load(path, CFG_SRC_GLOBAL, &global, &found, NULL, err) < 0)
		return -1;
	cfg_apply(cfg, &global);
	cfg_layer_free(&global);
	return 0;
}

/* A broken global file never stops minod: at start it runs with the
 * defaults, on reload it keeps what it had; sessions that read the file
 * fail with 1015 until it is fixed. */
/* general.verbose and general.log_format, at start and on reload. */
static void
main_apply_log_config(void)
{
	if (cfg_bool(&minod.cfg, "general.verbose"))
		log_set_verbose(true);
	log_set_json(strcmp(cfg_string(&minod.cfg, "general.log_format"), "json") == 0);
}

static void
main_config_start(void)
{
	struct mino_error *err = NULL;

	if (main_load_config(&minod.cfg, &err) < 0) {
		log_err("configuration: %s; using the defaults", err->msg);
		mino_error_release(&err);
	}
	main_apply_log_config();
}

static void
main_reload(void)
{
	struct cfg cfg;
	struct mino_error *err = NULL;

	notify_reloading();
	log_info("reloading the configuration");
	if (main_load_config(&cfg, &err) < 0) {
		log_err("reload: %s; keeping the old configuration", err->msg);
		mino_error_release(&err);
		cfg_free(&cfg);
	} else {
		cfg_free(&minod.cfg);
		minod.cfg = cfg;
		main_apply_log_config();
	}
	notify_ready();
}

static void
main_signal_cb(uv_signal_t *h, int signum)
{
	switch (signum) {
	case SIGTERM:
	case SIGINT:
		log_info("%s received", strsignal(signum));
		server_shutdown();
		break;
	case SIGHUP:
		main_reload();
		break;
	case SIGUSR2:
		log_info("verbose logging %s", log_toggle_verbose() ? "on" : "off");
		break;
	}
}

static void
main_signal_start(uv_signal_t *h, int signum)
{
	uv_signal_init(minod.loop, h);
	uv_signal_start(h, main_signal_cb, signum);
}

/* The client's auto-start waits for one byte on this fd. */
static void
main_signal_ready_fd(int fd)
{
	ssize_t n;

	if (fd < 0)
		return;
	do
		n = write(fd, "1", 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		log_warn("--ready-fd %d: %s", fd, n < 0 ? strerror(errno) : "short write");
	close(fd);
}

static int
main_setup(struct mino_error **err)
{
	if (paths_socket(&minod.socket_path, err) < 0 ||
	    paths_state_dir(&minod.state_dir, err) < 0 ||
	    fs_mkdir_p(minod.state_dir, 0700, 1, err) < 0)
		return -1;
	minod.podman_path = prereq_find_podman();
	if (minod.podman_path == NULL)
		log_warn("podman not found in PATH; sessions cannot start");
	minod.child_env = main_child_env();
	minod.helper_dir = main_helper_dir();
	minod.entry_path = main_entry_path();
	main_config_start();
	return 0;
}

static void
main_free(void)
{
	free(minod.socket_path);
	free(minod.state_dir);
	free(minod.helper_dir);
	free(minod.entry_path);
	free(minod.podman_path);
	if (minod.child_env != NULL)
		for (char **e = minod.child_env; *e != NULL; e++)
			free(*e);
	free(minod.child_env);
	cfg_free(&minod.cfg);
	cache_store_free();
	cache_adopted_free();
}

int
main(int argc, char **argv)
{
	struct mino_error *err = NULL;
	bool allow_root = false;
	int ready_fd = -1;
	mode_t mask;
	int r;

	if (main_parse_args(argc, argv, &ready_fd, &allow_root) < 0)
		return 2;
	if (main_check_privileges(allow_root) < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* a file size limit fails the write (EFBIG), not minod */
	uv_disable_stdio_inheritance();
	if (ready_fd >= 0)
		fs_set_cloexec(ready_fd);
	mask = umask(0);
	umask(mask | 022);
	log_init("minod", true, main_verbose);

	minod.started = time(NULL);
	minod.auto_started = ready_fd >= 0;
	if (main_setup(&err) < 0) {
		fprintf(stderr, "minod: %s\n", err->msg);
		mino_error_release(&err);
		main_free();
		return 1;
	}
	uv_loop_init(&main_loop);
	minod.loop = &main_loop;
	conn_init();
	if (server_listen(&err) < 0) {
		fprintf(stderr, "minod: %s\n", err->msg);
		mino_error_release(&err);
		main_free();
		return 1;
	}
	main_signal_start(&main_sigterm, SIGTERM);
	main_signal_start(&main_sigint, SIGINT);
	main_signal_start(&main_sighup, SIGHUP);
	main_signal_start(&main_sigusr2, SIGUSR2);
	if (sessions_init(&err) < 0) {
		log_err("sessions: %s", err->msg);
		mino_error_release(&err);
	}
	podman_probe();
	cache_gc_start();
	notify_status();
	notify_ready();
	notify_watchdog_start();
	main_signal_ready_fd(ready_fd);
	log_info("minod %s ready (pid %ld)", MINO_VERSION, (long)getpid());

	uv_run(minod.loop, UV_RUN_DEFAULT);

	r = uv_loop_close(minod.loop);
	if (r != 0)
		log_err("uv_loop_close: %s (a handle was leaked)", uv_strerror(r));
	assert(r == 0);
	log_info("stopped");
	main_free();
	return 0;
}
