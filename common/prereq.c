/* prereq.c: the host prerequisites of mino, checked without minod. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "error.h"
#include "paths.h"
#include "pkgmgr.h"
#include "prereq.h"
#include "xalloc.h"

/* podman info on a loaded machine can take seconds; never wait forever. */
#define PREREQ_PODMAN_TIMEOUT_MS 60000
#define PREREQ_OUTPUT_MAX (4u << 20)
#define PREREQ_CONF_MAX (1u << 20)
/* Rootless images commonly use ids up to 65535. */
#define PREREQ_SUBID_WANT 65536ULL

static const char *prereq_json_str(json_t *obj, const char *path);
static char *prereq_dup_nonempty(const char *s);
static int prereq_run(char *const argv[], char **out, char **errtext, int *status, struct mino_error **err);
static int prereq_drain(int outfd, int errfd, struct buf *out, struct buf *errb, pid_t pid);
static void prereq_add(struct prereq_report *r, const char *name, enum prereq_status st, char *detail,
    char *fix);
static int prereq_conf_file(const char *path, char **init_path, struct mino_error **err);
static int prereq_conf_dir(const char *dir, char **init_path, struct mino_error **err);
static void prereq_check_podman(struct prereq_report *r, const char *podman, struct prereq_podman_info *info,
    bool *have_info);
static void prereq_check_init(struct prereq_report *r, const struct prereq_podman_info *info);
static void prereq_check_idmap(struct prereq_report *r, const char *prog);
static void prereq_check_subid(struct prereq_report *r, const char *file, const char *name);
static void prereq_check_network(struct prereq_report *r, const struct prereq_podman_info *info);
static void prereq_check_storage(struct prereq_report *r, const struct prereq_podman_info *info);
static void prereq_check_cgroups(struct prereq_report *r, const struct prereq_podman_info *info);
static void prereq_check_backend(struct prereq_report *r, const struct prereq_podman_info *info);
static void prereq_check_tun(struct prereq_report *r);

/* The distribution's package manager, for the install hints (detected once
 * per prereq_check_all). */
static enum pkgmgr_kind prereq_pkgmgr;

static char *
prereq_hint(enum pkgmgr_pkg pkg)
{
	return pkgmgr_install_hint(prereq_pkgmgr, pkg, geteuid() == 0);
}

const char *
prereq_status_name(enum prereq_status status)
{
	switch (status) {
	case PREREQ_OK:
		return "OK";
	case PREREQ_WARN:
		return "WARN";
	case PREREQ_FAIL:
		return "FAIL";
	case PREREQ_UNKNOWN:
		return "----";
	}
	return "?";
}

char *
prereq_find_podman(void)
{
	return paths_find_program("podman", getenv("PATH"));
}

/* ---- podman info ---- */

/* The string at a dotted path ("host.ociRuntime.name") of a JSON object, or NULL. */
static const char *
prereq_json_str(json_t *obj, const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *key, *save = NULL;

	for (key = strtok_r(copy, ".", &save); key != NULL && obj != NULL; key = strtok_r(NULL, ".", &save))
		obj = json_object_get(obj, key);
	return json_string_value(obj);
}

static char *
prereq_dup_nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

int
prereq_parse_podman_info(const char *text, struct prereq_podman_info *out, struct mino_error **err)
{
	_cleanup_json_ json_t *root = NULL;
	json_error_t jerr;

	memset(out, 0, sizeof *out);
	root = json_loads(text, 0, &jerr);
	if (!json_is_object(root))
		return mino_make_error(err, MINO_E_PODMAN_FAILED, 0, "podman info: not a JSON object (line %d: %s)",
			jerr.line, jerr.text);
	out->version = prereq_dup_nonempty(prereq_json_str(root, "version.Version"));
	if (out->version == NULL)
		return mino_make_error(err, MINO_E_PODMAN_FAILED, 0, "podman info: no version.Version");
	out->rootless = json_is_true(json_object_get(json_object_get(json_object_get(root, "host"), "security"),
		"rootless"));
	out->runtime = prereq_dup_nonempty(prereq_json_str(root, "host.ociRuntime.name"));
	out->runtime_path = prereq_dup_nonempty(prereq_json_str(root, "host.ociRuntime.path"));
	out->graph_driver = prereq_dup_nonempty(prereq_json_str(root, "store.graphDriverName"));
	out->slirp4netns = prereq_dup_nonempty(prereq_json_str(root, "host.slirp4netns.executable"));
	out->pasta = prereq_dup_nonempty(prereq_json_str(root, "host.pasta.executable"));
	out->cgroup_version = prereq_dup_nonempty(prereq_json_str(root, "host.cgroupVersion"));
	out->network_backend = prereq_dup_nonempty(prereq_json_str(root, "host.networkBackend"));
	return 0;
}

void
prereq_podman_info_free(struct prereq_podman_info *info)
{
	free(info->version);
	free(info->runtime);
	free(info->runtime_path);
	free(info->graph_driver);
	free(info->slirp4netns);
	free(info->pasta);
	free(info->cgroup_version);
	free(info->network_backend);
	memset(info, 0, sizeof *info);
}

/* Reads the child's stdout and stderr until both close or the deadline
 * passes (then kills it).  Returns 0, or -ETIMEDOUT / -errno. */
static int
prereq_drain(int outfd, int errfd, struct buf *out, struct buf *errb, pid_t pid)
{
	struct pollfd pfd[2] = { { .fd = outfd, .events = POLLIN }, { .fd = errfd, .events = POLLIN } };
	struct buf *dst[2] = { out, errb };
	struct timespec start, now;
	char chunk[16384];
	long left;
	ssize_t n;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = PREREQ_PODMAN_TIMEOUT_MS - ((now.tv_sec - start.tv_sec) * 1000L +
			(now.tv_nsec - start.tv_nsec) / 1000000L);
		if (left <= 0) {
			kill(pid, SIGKILL);
			return -ETIMEDOUT;
		}
		if (poll(pfd, 2, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, chunk, sizeof chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || dst[i]->len + (size_t)n > PREREQ_OUTPUT_MAX)
				pfd[i].fd = -1;
			else
				buf_append(dst[i], chunk, (size_t)n);
		}
	}
	return 0;
}

/* Runs argv[0] (absolute) with stdin from /dev/null; collects stdout and
 * stderr (both NUL-terminated, caller frees) and the wait status. */
static int
prereq_run(char *const argv[], char **out, char **errtext, int *status, struct mino_error **err)
{
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 }, rc, devnull;
	struct buf ob, eb;
	pid_t pid;

	if (pipe2(opipe, O_CLOEXEC) < 0 || pipe2(epipe, O_CLOEXEC) < 0) {
		rc = mino_make_error(err, MINO_E_IO, errno, "pipe for `%s`", argv[0]);
		goto close_pipes;
	}
	pid = fork();
	if (pid < 0) {
		rc = mino_make_error(err, MINO_E_IO, errno, "fork for `%s`", argv[0]);
		goto close_pipes;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(opipe[1], 1) < 0 || dup2(epipe[1], 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(opipe[1]);
	close(epipe[1]);
	opipe[1] = epipe[1] = -1;
	buf_init(&ob);
	buf_init(&eb);
	rc = prereq_drain(opipe[0], epipe[0], &ob, &eb, pid);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		buf_free(&ob);
		buf_free(&eb);
		rc = mino_make_error(err, MINO_E_PODMAN_FAILED, -rc, "`%s %s`", argv[0], argv[1] != NULL ? argv[1] : "");
		goto close_pipes;
	}
	*out = buf_steal(&ob, NULL);
	*errtext = buf_steal(&eb, NULL);
	rc = 0;
close_pipes:
	for (int i = 0; i < 2; i++) {
		if (opipe[i] >= 0)
			close(opipe[i]);
		if (epipe[i] >= 0)
			close(epipe[i]);
	}
	return rc;
}

/* ---- containers.conf ---- */

/* A line scanner, not a TOML parser: containers.conf files use TOML that
 * mino's config parser does not need (nested tables, arrays of tables), and
 * only one key matters here. */
int
prereq_conf_init_path(const char *name, const char *text, char **out, struct mino_error **err)
{
	const char *line = text, *nl, *p, *end;
	bool in_containers = false;
	unsigned lineno = 0;
	size_t len;
	char quote;

	*out = NULL;
	for (; line != NULL && *line != '\0'; line = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		lineno++;
		for (p = line; p < line + len && (*p == ' ' || *p == '\t'); p++)
			;
		if (p == line + len || *p == '#')
			continue;
		if (*p == '[') {
			while (p < line + len && (*p == '[' || *p == ' ' || *p == '\t'))
				p++;
			in_containers = strncmp(p, "containers", 10) == 0 &&
				(p[10] == ']' || p[10] == ' ' || p[10] == '\t');
			continue;
		}
		if (!in_containers || strncmp(p, "init_path", 9) != 0 ||
		    (p[9] != ' ' && p[9] != '\t' && p[9] != '='))
			continue;
		for (p += 9; p < line + len && (*p == ' ' || *p == '\t'); p++)
			;
		if (p < line + len && *p == '=')
			for (p++; p < line + len && (*p == ' ' || *p == '\t'); p++)
				;
		quote = p < line + len ? *p : '\0';
		end = quote == '"' || quote == '\'' ? memchr(p + 1, quote, (size_t)(line + len - p - 1)) : NULL;
		if (end == NULL) {
			free(*out);
			*out = NULL;
			return mino_make_error(err, MINO_E_CONFIG, 0, "%s:%u: init_path is not a quoted string",
				name, lineno);
		}
		free(*out);
		*out = xstrndup(p + 1, (size_t)(end - p - 1));
	}
	return 0;
}

/* Applies one file: a missing file is fine; its init_path replaces *init_path. */
static int
prereq_conf_file(const char *path, char **init_path, struct mino_error **err)
{
	_cleanup_free_ char *text = NULL;
	char *found = NULL;

	if (access(path, F_OK) < 0)
		return 0;
	if (fs_read_file(path, PREREQ_CONF_MAX, &text, NULL, err) < 0)
		return -1;
	if (prereq_conf_init_path(path, text, &found, err) < 0)
		return -1;
	if (found != NULL) {
		free(*init_path);
		*init_path = found;
	}
	return 0;
}

static int
prereq_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.conf files of a drop-in directory, in name order. */
static int
prereq_conf_dir(const char *dir, char **init_path, struct mino_error **err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, len, i;
	int rc = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".conf") == 0) {
			names = xreallocarray(names, n + 1, sizeof *names);
			names[n++] = xasprintf("%s/%s", dir, de->d_name);
		}
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, prereq_name_cmp);
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = prereq_conf_file(names[i], init_path, err);
		free(names[i]);
	}
	free(names);
	return rc;
}

int
prereq_init_path(char **out, struct mino_error **err)
{
	const char *env = getenv("CONTAINERS_CONF"), *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	_cleanup_free_ char *user = NULL;
	_cleanup_free_ char *userd = NULL;
	char *init_path = NULL;
	int rc;

	*out = NULL;
	if (env != NULL && *env != '\0') {
		if (access(env, R_OK) < 0)
			return mino_make_error(err, MINO_E_CONFIG, errno, "$CONTAINERS_CONF `%s`", env);
		rc = prereq_conf_file(env, &init_path, err);
	} else {
		if (xdg != NULL && xdg[0] == '/')
			user = xasprintf("%s/containers/containers.conf", xdg);
		else if (home != NULL && home[0] == '/')
			user = xasprintf("%s/.config/containers/containers.conf", home);
		rc = prereq_conf_file("/usr/share/containers/containers.conf", &init_path, err);
		if (rc == 0)
			rc = prereq_conf_file("/etc/containers/containers.conf", &init_path, err);
		if (rc == 0)
			rc = prereq_conf_dir("/etc/containers/containers.conf.d", &init_path, err);
		if (rc == 0 && user != NULL) {
			userd = xasprintf("%s.d", user);
			rc = prereq_conf_file(user, &init_path, err);
			if (rc == 0)
				rc = prereq_conf_dir(userd, &init_path, err);
		}
	}
	if (rc < 0) {
		free(init_path);
		return -1;
	}
	*out = init_path;
	return 0;
}

char *
prereq_explain_podman_error(const char *podman_error)
{
	static const char marker[] = "container-init binary not found on the host: stat ";
	const char *p = podman_error != NULL ? strstr(podman_error, marker) : NULL;
	const char *end;

	if (p == NULL)
		return NULL;
	p += sizeof marker - 1;
	end = strstr(p, ": ");
	if (end == NULL)
		end = p + strcspn(p, "\n");
	if (end == p)
		return NULL;
	return xasprintf("init binary %.*s is missing: install the package that provides it (Debian: %s)",
		(int)(end - p), p, PREREQ_INIT_PACKAGE);
}

/* ---- subordinate ids ---- */

size_t
prereq_parse_subid(const char *text, const char *user, uid_t uid, unsigned long long *total)
{
	char uidstr[32];
	const char *line = text, *nl;
	size_t ranges = 0, len;
	char *end;
	unsigned long long count;

	*total = 0;
	snprintf(uidstr, sizeof uidstr, "%lu", (unsigned long)uid);
	for (; line != NULL && *line != '\0'; line = nl != NULL ? nl + 1 : NULL) {
		const char *c1, *c2;

		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		c1 = memchr(line, ':', len);
		if (c1 == NULL)
			continue;
		if (!((user != NULL && strlen(user) == (size_t)(c1 - line) && strncmp(line, user, (size_t)(c1 - line)) == 0) ||
		    (strlen(uidstr) == (size_t)(c1 - line) && strncmp(line, uidstr, (size_t)(c1 - line)) == 0)))
			continue;
		c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line));
		if (c2 == NULL || c2 == c1 + 1 || c1[1] < '0' || c1[1] > '9')
			continue;
		strtoull(c1 + 1, &end, 10);
		if (end != c2 || c2[1] < '0' || c2[1] > '9')
			continue;
		errno = 0;
		count = strtoull(c2 + 1, &end, 10);
		if (errno != 0 || (end != line + len && !(*end == '\r' && end + 1 == line + len)) || count == 0)
			continue;
		ranges++;
		*total += count;
	}
	return ranges;
}

static void
prereq_subid_highest(const char *text, unsigned long long *highest)
{
	const char *line, *c1;
	unsigned long long start, count;
	char *end;

	for (line = text; line != NULL && *line != '\0'; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		c1 = strchr(line, ':');
		if (c1 == NULL || c1[1] < '0' || c1[1] > '9')
			continue;
		start = strtoull(c1 + 1, &end, 10);
		if (*end != ':' || end[1] < '0' || end[1] > '9')
			continue;
		count = strtoull(end + 1, &end, 10);
		if (start + count > *highest)
			*highest = start + count;
	}
}

unsigned long long
prereq_subid_next_start(const char *subuid, const char *subgid)
{
	unsigned long long highest = 100000;

	prereq_subid_highest(subuid, &highest);
	prereq_subid_highest(subgid, &highest);
	return highest;
}

/* ---- the checks ---- */

static void
prereq_add(struct prereq_report *r, const char *name, enum prereq_status st, char *detail, char *fix)
{
	struct prereq_check *c;

	r->checks = xreallocarray(r->checks, r->n + 1, sizeof *r->checks);
	c = &r->checks[r->n++];
	c->name = name;
	c->status = st;
	c->detail = detail;
	c->fix = fix;
}

static void
prereq_check_podman(struct prereq_report *r, const char *podman, struct prereq_podman_info *info,
    bool *have_info)
{
	char *argv[] = { (char *)podman, "info", "--format", "json", NULL };
	_cleanup_free_ char *out = NULL;
	_cleanup_free_ char *errtext = NULL;
	struct mino_error *err = NULL;
	int status = 0;

	*have_info = false;
	if (prereq_run(argv, &out, &errtext, &status, &err) == 0 &&
	    !(WIFEXITED(status) && WEXITSTATUS(status) == 0) && err == NULL) {
		errtext[strcspn(errtext, "\n")] = '\0';
		mino_make_error(&err, MINO_E_PODMAN_FAILED, 0, "`podman info` failed: %s",
			*errtext != '\0' ? errtext : "no message");
	}
	if (err == NULL && prereq_parse_podman_info(out, info, &err) == 0) {
		*have_info = true;
		prereq_add(r, "podman", PREREQ_OK, xasprintf("%s at %s", info->version, podman), NULL);
		return;
	}
	prereq_add(r, "podman", PREREQ_FAIL, xasprintf("%s at %s", err->msg, podman),
		xstrdup("run `podman info` as this user and fix what it reports"));
	mino_error_release(&err);
}

static void
prereq_check_init(struct prereq_report *r, const struct prereq_podman_info *info)
{
	/* podman 5 looks in its helper_binaries_dir; 4.x only at the one default. */
	static const char *const helper_dirs[] = {
		"/usr/local/libexec/podman", "/usr/local/lib/podman", "/usr/libexec/podman", "/usr/lib/podman",
	};
	_cleanup_free_ char *init = NULL;
	struct mino_error *err = NULL;
	char *cand;
	size_t i;

	if (prereq_init_path(&init, &err) < 0) {
		prereq_add(r, "init binary", PREREQ_FAIL, xstrdup(err->msg),
			xstrdup("fix the containers.conf file named above"));
		mino_error_release(&err);
		return;
	}
	if (init == NULL && info->version != NULL && atoi(info->version) >= 5) {
		for (i = 0; i < sizeof helper_dirs / sizeof helper_dirs[0]; i++) {
			cand = xasprintf("%s/catatonit", helper_dirs[i]);
			if (access(cand, X_OK) == 0) {
				init = cand;
				break;
			}
			free(cand);
		}
	}
	if (init == NULL)
		init = xstrdup("/usr/libexec/podman/catatonit");
	if (access(init, X_OK) == 0) {
		prereq_add(r, "init binary", PREREQ_OK, xstrdup(init), NULL);
		return;
	}
	prereq_add(r, "init binary", PREREQ_FAIL,
		xasprintf("%s is missing (podman --init needs it): %s", init, strerror(errno)),
		prereq_hint(PKG_INIT));
}

/* newuidmap/newgidmap must be setuid root or carry file capabilities. */
static void
prereq_check_idmap(struct prereq_report *r, const char *prog)
{
	_cleanup_free_ char *path = paths_find_program(prog, "/usr/bin:/bin:/usr/sbin:/sbin");
	struct stat st;
	bool privileged;

	if (path == NULL) {
		prereq_add(r, prog, PREREQ_FAIL, xasprintf("%s not found", prog),
			prereq_hint(PKG_IDMAP));
		return;
	}
	privileged = stat(path, &st) == 0 && (((st.st_mode & S_ISUID) && st.st_uid == 0) ||
		getxattr(path, "security.capability", NULL, 0) > 0);
	if (privileged)
		prereq_add(r, prog, PREREQ_OK, xstrdup(path), NULL);
	else
		prereq_add(r, prog, PREREQ_FAIL, xasprintf("%s is neither setuid root nor has file capabilities", path),
			xasprintf("reinstall %s with your package manager, or as root: chmod u+s %s",
				pkgmgr_package(prereq_pkgmgr, PKG_IDMAP), path));
}

/* "sudo usermod --add-subuids S-E USER (or: mino setup)", with S after the
 * highest range in use, so that it overlaps nobody's. */
static char *
prereq_subid_fix(char kind, const char *user)
{
	_cleanup_free_ char *uids = NULL;
	_cleanup_free_ char *gids = NULL;
	struct mino_error *err = NULL;
	unsigned long long start;

	if (fs_read_file("/etc/subuid", PREREQ_CONF_MAX, &uids, NULL, &err) < 0)
		mino_error_release(&err);
	if (fs_read_file("/etc/subgid", PREREQ_CONF_MAX, &gids, NULL, &err) < 0)
		mino_error_release(&err);
	start = prereq_subid_next_start(uids, gids);
	return xasprintf("`mino setup`, or: %susermod --add-sub%cids %llu-%llu %s (after every range in use)",
		geteuid() == 0 ? "" : "sudo ", kind, start, start + PREREQ_SUBID_WANT - 1, user != NULL ? user : "USER");
}

static void
prereq_check_subid(struct prereq_report *r, const char *file, const char *name)
{
	_cleanup_free_ char *text = NULL;
	struct passwd *pw = getpwuid(getuid());
	const char *user = pw != NULL ? pw->pw_name : NULL;
	struct mino_error *err = NULL;
	unsigned long long total = 0;
	size_t ranges = 0;

	if (fs_read_file(file, PREREQ_CONF_MAX, &text, NULL, &err) == 0)
		ranges = prereq_parse_subid(text, user, getuid(), &total);
	else
		mino_error_release(&err);
	if (ranges == 0)
		prereq_add(r, name, PREREQ_FAIL, xasprintf("no range for %s in %s", user != NULL ? user : "this user", file),
			prereq_subid_fix(name[3], user));
	else if (total < PREREQ_SUBID_WANT)
		prereq_add(r, name, PREREQ_WARN, xasprintf("%llu ids in %s (images may use up to 65536)", total, file),
			xasprintf("as root: give %s 65536 ids with usermod --add-sub%cids", user != NULL ? user : "USER",
				name[3]));
	else
		prereq_add(r, name, PREREQ_OK, xasprintf("%llu ids in %zu range%s (%s)", total, ranges,
			ranges == 1 ? "" : "s", file), NULL);
}

static void
prereq_check_network(struct prereq_report *r, const struct prereq_podman_info *info)
{
	char *path = NULL;

	if (info->slirp4netns != NULL && access(info->slirp4netns, X_OK) == 0)
		path = xstrdup(info->slirp4netns);
	else if (info->pasta != NULL && access(info->pasta, X_OK) == 0)
		path = xstrdup(info->pasta);
	else if ((path = paths_find_program("slirp4netns", getenv("PATH"))) == NULL)
		path = paths_find_program("pasta", getenv("PATH"));
	if (path != NULL)
		prereq_add(r, "rootless network", PREREQ_OK, path, NULL);
	else
		prereq_add(r, "rootless network", PREREQ_FAIL, xstrdup("neither slirp4netns nor pasta found"),
			prereq_hint(PKG_SLIRP4NETNS));
}

static void
prereq_check_storage(struct prereq_report *r, const struct prereq_podman_info *info)
{
	if (info->graph_driver == NULL)
		prereq_add(r, "storage driver", PREREQ_WARN, xstrdup("podman did not say"), xstrdup("check `podman info`"));
	else if (strcmp(info->graph_driver, "vfs") == 0)
		prereq_add(r, "storage driver", PREREQ_WARN,
			xstrdup("vfs: every session start copies the whole image"),
			xstrdup("set [storage] driver = \"overlay\" in ~/.config/containers/storage.conf, then "
				"`podman system reset` (removes this user's images and containers)"));
	else
		prereq_add(r, "storage driver", PREREQ_OK, xstrdup(info->graph_driver), NULL);
}

/* slirp4netns and pasta open /dev/net/tun in the user's namespace. */
static void
prereq_check_tun(struct prereq_report *r)
{
	if (access("/dev/net/tun", R_OK | W_OK) == 0)
		prereq_add(r, "/dev/net/tun", PREREQ_OK, xstrdup("read-write"), NULL);
	else
		prereq_add(r, "/dev/net/tun", PREREQ_FAIL, xasprintf("cannot open it read-write: %s", strerror(errno)),
			xstrdup("as root: chmod 0666 /dev/net/tun (the rootless network opens it)"));
}

/* Hybrid mode: cgroup v1 at /sys/fs/cgroup with a cgroup2 "unified" beside. */
static bool
prereq_cgroup_hybrid(void)
{
	struct statfs fs;

	return statfs("/sys/fs/cgroup/unified", &fs) == 0 && fs.f_type == 0x63677270; /* CGROUP2_SUPER_MAGIC */
}

static void
prereq_check_cgroups(struct prereq_report *r, const struct prereq_podman_info *info)
{
	const char *v = info->cgroup_version;
	bool hybrid;

	if (v == NULL) {
		prereq_add(r, "cgroups", PREREQ_WARN, xstrdup("podman did not say"), xstrdup("check `podman info`"));
		return;
	}
	if (strcmp(v, "v1") != 0) {
		prereq_add(r, "cgroups", PREREQ_OK, xstrdup(v), NULL);
		return;
	}
	hybrid = prereq_cgroup_hybrid();
	if (hybrid && info->runtime != NULL && strcmp(info->runtime, "crun") == 0)
		prereq_add(r, "cgroups", PREREQ_FAIL, xstrdup("v1 hybrid mode, which crun refuses"),
			xstrdup("install runc and set [engine] runtime = \"runc\" in ~/.config/containers/containers.conf"));
	else
		prereq_add(r, "cgroups", PREREQ_WARN,
			xasprintf("v1%s: memory and pids limits are not enforced for rootless containers",
				hybrid ? " (hybrid)" : ""),
			xstrdup("boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2"));
}

static void
prereq_check_backend(struct prereq_report *r, const struct prereq_podman_info *info)
{
	_cleanup_free_ char *hint = prereq_hint(PKG_NETAVARK);
	const char *b = info->network_backend;

	if (b == NULL)
		prereq_add(r, "network backend", PREREQ_WARN, xstrdup("podman did not say"), xstrdup("check `podman info`"));
	else if (strcmp(b, "netavark") == 0)
		prereq_add(r, "network backend", PREREQ_OK, xstrdup(b), NULL);
	else
		prereq_add(r, "network backend", PREREQ_WARN,
			xasprintf("%s: container names do not resolve on mino's networks", b),
			xasprintf("%s and %s, [network] network_backend = \"netavark\" in "
				"~/.config/containers/containers.conf, then `podman system reset`",
				hint, pkgmgr_package(prereq_pkgmgr, PKG_AARDVARK)));
}

void
prereq_check_all(struct prereq_report *r)
{
	_cleanup_free_ char *podman = prereq_find_podman();
	struct prereq_podman_info info;
	bool have_info = false;

	memset(r, 0, sizeof *r);
	memset(&info, 0, sizeof info);
	prereq_pkgmgr = pkgmgr_detect();
	if (podman == NULL)
		prereq_add(r, "podman", PREREQ_FAIL, xstrdup("not found in PATH"),
			prereq_hint(PKG_PODMAN));
	else
		prereq_check_podman(r, podman, &info, &have_info);
	if (!have_info) {
		prereq_add(r, "rootless", PREREQ_FAIL, xstrdup("unknown (no podman info)"), xstrdup("fix podman first"));
		prereq_add(r, "OCI runtime", PREREQ_FAIL, xstrdup("unknown (no podman info)"), xstrdup("fix podman first"));
	} else {
		if (info.rootless)
			prereq_add(r, "rootless", PREREQ_OK, xstrdup("yes"), NULL);
		else
			prereq_add(r, "rootless", PREREQ_FAIL, xstrdup("podman runs rootful"),
				xstrdup("run mino as an unprivileged user"));
		if (info.runtime != NULL)
			prereq_add(r, "OCI runtime", PREREQ_OK, xasprintf("%s at %s", info.runtime,
				info.runtime_path != NULL ? info.runtime_path : "?"), NULL);
		else
			prereq_add(r, "OCI runtime", PREREQ_FAIL, xstrdup("podman reports none"),
				prereq_hint(PKG_CRUN));
	}
	prereq_check_init(r, &info);
	prereq_check_idmap(r, "newuidmap");
	prereq_check_idmap(r, "newgidmap");
	prereq_check_subid(r, "/etc/subuid", "subuids");
	prereq_check_subid(r, "/etc/subgid", "subgids");
	prereq_check_network(r, &info);
	prereq_check_tun(r);
	if (have_info) {
		prereq_check_cgroups(r, &info);
		prereq_check_backend(r, &info);
		prereq_check_storage(r, &info);
	} else {
		prereq_add(r, "storage driver", PREREQ_WARN, xstrdup("unknown (no podman info)"), xstrdup("fix podman first"));
	}
	prereq_podman_info_free(&info);
}

bool
prereq_report_ok(const struct prereq_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->checks[i].status == PREREQ_FAIL)
			return false;
	return true;
}

void
prereq_report_free(struct prereq_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->checks[i].detail);
		free(r->checks[i].fix);
	}
	free(r->checks);
	memset(r, 0, sizeof *r);
}
