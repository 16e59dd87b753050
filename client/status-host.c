/* status-host.c: the checks of the user's own environment for `mino
 * status`: where each credential provider's source would come from (never
 * a secret), the expiry of minod's cached tokens, the SSH agent and the
 * audit log.  None of them is needed by `mino run`: WARN at most. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "paths.h"
#include "status-report.h"
#include "xalloc.h"

#define STATUS_HOST_AGENT_TIMEOUT_MS 2000
#define STATUS_HOST_TOKEN_MAX (1u << 20)
#define SSH_AGENTC_REQUEST_IDENTITIES 11
#define SSH_AGENT_IDENTITIES_ANSWER 12

static bool
status_host_set(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0';
}

/* $HOME/rel when it exists, else NULL.  Caller frees. */
static char *
status_host_home_file(const char *rel)
{
	const char *home = getenv("HOME");
	char *p;

	if (home == NULL || home[0] != '/')
		return NULL;
	p = xasprintf("%s/%s", home, rel);
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	return NULL;
}

static void
status_host_source(struct status_report *r, const char *provider, char *found)
{
	_cleanup_free_ char *name = xasprintf("%s credentials", provider);

	if (found != NULL)
		status_report_add(r, name, PREREQ_OK, false, found, NULL);
	else
		status_report_add(r, name, PREREQ_OK, false,
			xasprintf("no source found (only sessions with credentials.%s need one)", provider), NULL);
}

static char *
status_host_aws(void)
{
	const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE"), *conf = getenv("AWS_CONFIG_FILE");
	const char *profile = status_host_set("AWS_PROFILE") ? getenv("AWS_PROFILE") : "default";
	_cleanup_free_ char *cred = NULL;
	_cleanup_free_ char *cfg = NULL;

	if (status_host_set("AWS_ACCESS_KEY_ID"))
		return xstrdup("environment (AWS_ACCESS_KEY_ID)");
	cred = file != NULL && *file != '\0' ? (access(file, F_OK) == 0 ? xstrdup(file) : NULL) :
		status_host_home_file(".aws/credentials");
	cfg = conf != NULL && *conf != '\0' ? (access(conf, F_OK) == 0 ? xstrdup(conf) : NULL) :
		status_host_home_file(".aws/config");
	if (cred != NULL || cfg != NULL)
		return xasprintf("profile `%s` in %s%s%s", profile, cred != NULL ? cred : "",
			cred != NULL && cfg != NULL ? " and " : "", cfg != NULL ? cfg : "");
	return NULL;
}

static char *
status_host_gcp(void)
{
	const char *cfg = getenv("CLOUDSDK_CONFIG");
	char *p;

	if (status_host_set("GOOGLE_APPLICATION_CREDENTIALS"))
		return xasprintf("GOOGLE_APPLICATION_CREDENTIALS (%s)", getenv("GOOGLE_APPLICATION_CREDENTIALS"));
	if (cfg != NULL && cfg[0] == '/') {
		p = xasprintf("%s/application_default_credentials.json", cfg);
		if (access(p, F_OK) == 0)
			return xasprintf("application default credentials (%s)", p);
		free(p);
		return NULL;
	}
	p = status_host_home_file(".config/gcloud/application_default_credentials.json");
	if (p != NULL) {
		char *s = xasprintf("application default credentials (%s)", p);

		free(p);
		return s;
	}
	return NULL;
}

static void
status_host_azure(struct status_report *r)
{
	bool id = status_host_set("AZURE_CLIENT_ID"), secret = status_host_set("AZURE_CLIENT_SECRET");
	_cleanup_free_ char *az = NULL;

	if (id && secret && status_host_set("AZURE_TENANT_ID")) {
		status_host_source(r, "azure", xasprintf("service principal %s (environment)", getenv("AZURE_CLIENT_ID")));
		return;
	}
	if (id || secret) {
		status_report_add(r, "azure credentials", PREREQ_WARN, false,
			xstrdup("some of AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID are set, not all"),
			xstrdup("set all three, or unset them to use `az`"));
		return;
	}
	az = paths_find_program("az", getenv("PATH"));
	status_host_source(r, "azure", az != NULL ? xasprintf("az at %s (its login)", az) : NULL);
}

static char *
status_host_github(void)
{
	_cleanup_free_ char *gh = NULL;

	if (status_host_set("GH_TOKEN"))
		return xstrdup("environment (GH_TOKEN)");
	if (status_host_set("GITHUB_TOKEN"))
		return xstrdup("environment (GITHUB_TOKEN)");
	gh = paths_find_program("gh", getenv("PATH"));
	return gh != NULL ? xasprintf("gh at %s (`gh auth token`)", gh) : NULL;
}

/* The expiry in a cached token file; the rest of it (the token) is wiped. */
static bool
status_host_token_expiry(const char *path, time_t *expiry)
{
	struct mino_error *err = NULL;
	char *doc = NULL;
	size_t len = 0;
	json_t *j;

	if (fs_read_file(path, STATUS_HOST_TOKEN_MAX, &doc, &len, &err) < 0) {
		mino_error_release(&err);
		return false;
	}
	j = json_loadb(doc, len, 0, NULL);
	explicit_bzero(doc, len);
	free(doc);
	*expiry = (time_t)json_integer_value(json_object_get(j, "expiry"));
	if (j != NULL) {
		/* the parsed copy holds the token too */
		json_t *v = json_object_get(j, "value");

		if (json_is_string(v))
			explicit_bzero((char *)json_string_value(v), json_string_length(v));
	}
	json_decref(j);
	return *expiry > 0;
}

/* minod's persisted token cache: $XDG_STATE_HOME/mino/credentials/<provider>-<hash>.json. */
static void
status_host_tokens(struct status_report *r)
{
	_cleanup_free_ char *state = NULL;
	_cleanup_free_ char *dir = NULL;
	struct mino_error *err = NULL;
	char *list = xstrdup(""), *path, *t, when[32];
	time_t now = time(NULL), expiry;
	struct dirent *de;
	struct tm tm;
	size_t n = 0;
	DIR *d;

	if (paths_state_dir(&state, &err) < 0) {
		status_report_add(r, "cached tokens", PREREQ_WARN, false, xstrdup(err->msg), xstrdup("set HOME"));
		mino_error_release(&err);
		free(list);
		return;
	}
	dir = xasprintf("%s/credentials", state);
	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		size_t plen = strcspn(de->d_name, "-");
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0 || de->d_name[plen] != '-')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (status_host_token_expiry(path, &expiry)) {
			char left[32];

			if (gmtime_r(&expiry, &tm) == NULL || strftime(when, sizeof when, "%Y-%m-%dT%H:%MZ", &tm) == 0)
				snprintf(when, sizeof when, "%lld", (long long)expiry);
			if (expiry > now)
				snprintf(left, sizeof left, "in %lld min", (long long)(expiry - now) / 60);
			else
				snprintf(left, sizeof left, "expired");
			t = xasprintf("%s%s%.*s %s (%s)", list, n > 0 ? "; " : "", (int)plen, de->d_name, left, when);
			free(list);
			list = t;
			n++;
		}
		free(path);
	}
	if (d != NULL)
		closedir(d);
	status_report_add(r, "cached tokens", PREREQ_OK, false,
		n > 0 ? xasprintf("%zu: %s", n, list) : xasprintf("none in %s", dir), NULL);
	free(list);
}

/* Asks the agent for its identities: the count, or -1 with *why. */
static long
status_host_agent_keys(const char *sock, const char **why)
{
	unsigned char req[5] = { 0, 0, 0, 1, SSH_AGENTC_REQUEST_IDENTITIES }, ans[9];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd pfd;
	size_t got = 0;
	ssize_t n;
	long keys = -1;
	int fd;

	*why = "path too long";
	if (strlen(sock) >= sizeof sa.sun_path)
		return -1;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || write(fd, req, sizeof req) != sizeof req) {
		*why = strerror(errno);
		goto out;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	*why = "no answer";
	while (got < sizeof ans && poll(&pfd, 1, STATUS_HOST_AGENT_TIMEOUT_MS) == 1) {
		n = read(fd, ans + got, sizeof ans - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == sizeof ans && ans[4] == SSH_AGENT_IDENTITIES_ANSWER)
		keys = (long)((uint32_t)ans[5] << 24 | (uint32_t)ans[6] << 16 | (uint32_t)ans[7] << 8 | ans[8]);
	else if (got == sizeof ans)
		*why = "not an SSH agent's answer";
out:
	if (fd >= 0)
		close(fd);
	return keys;
}

static void
status_host_ssh_agent(struct status_report *r)
{
	const char *sock = getenv("SSH_AUTH_SOCK"), *why = NULL;
	long keys;

	if (sock == NULL || *sock == '\0') {
		status_report_add(r, "SSH agent", PREREQ_WARN, false, xstrdup("none (SSH_AUTH_SOCK is not set)"),
			xstrdup("eval \"$(ssh-agent)\" && ssh-add (only sessions that forward SSH need it)"));
		return;
	}
	keys = status_host_agent_keys(sock, &why);
	if (keys < 0)
		status_report_add(r, "SSH agent", PREREQ_WARN, false, xasprintf("%s does not answer: %s", sock, why),
			xstrdup("start a new agent: eval \"$(ssh-agent)\" && ssh-add"));
	else if (keys == 0)
		status_report_add(r, "SSH agent", PREREQ_WARN, false, xasprintf("%s holds no keys", sock),
			xstrdup("ssh-add"));
	else
		status_report_add(r, "SSH agent", PREREQ_OK, false, xasprintf("%s, %ld key%s", sock, keys,
			keys == 1 ? "" : "s"), NULL);
}

static void
status_host_audit(struct status_report *r)
{
	_cleanup_free_ char *state = NULL;
	_cleanup_free_ char *path = NULL;
	struct mino_error *err = NULL;
	struct stat st;

	if (r->audit_log != NULL)
		path = xstrdup(r->audit_log);
	else if (paths_state_dir(&state, &err) == 0)
		path = xasprintf("%s/audit.log", state);
	if (path == NULL) {
		status_report_add(r, "audit log", PREREQ_WARN, false, xstrdup(err->msg), xstrdup("set HOME"));
		mino_error_release(&err);
		return;
	}
	if (stat(path, &st) == 0)
		status_report_add(r, "audit log", PREREQ_OK, false, st.st_size < 1000000 ?
			xasprintf("%s, %lld kB", path, (long long)(st.st_size + 999) / 1000) :
			xasprintf("%s, %.1f MB", path, (double)st.st_size / 1e6), NULL);
	else if (errno == ENOENT)
		status_report_add(r, "audit log", PREREQ_OK, false, xasprintf("%s (not written yet)", path), NULL);
	else
		status_report_add(r, "audit log", PREREQ_WARN, false, xasprintf("%s: %s", path, strerror(errno)),
			xstrdup("fix the permissions of mino's state directory"));
}

void
status_report_host(struct status_report *r)
{
	status_host_source(r, "aws", status_host_aws());
	status_host_source(r, "gcp", status_host_gcp());
	status_host_azure(r);
	status_host_source(r, "github", status_host_github());
	status_host_tokens(r);
	status_host_ssh_agent(r);
	status_host_audit(r);
}
