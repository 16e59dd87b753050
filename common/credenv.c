/* credenv.c: the credential environment allowlist (credenv.h). */
#include <string.h>

#include "credenv.h"

static const char *const credenv_prefixes[] = { "AWS_", "AZURE_", "CLOUDSDK_", NULL };
static const char *const credenv_names[] = {
	"GOOGLE_APPLICATION_CREDENTIALS", "GH_TOKEN", "GITHUB_TOKEN", "SSH_AUTH_SOCK",
	"HOME", "PATH", "XDG_CONFIG_HOME", NULL,
};
static const char *const credenv_paths[] = {
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_CA_BUNDLE", "AWS_WEB_IDENTITY_TOKEN_FILE",
	"GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG", "SSH_AUTH_SOCK", NULL,
};

static bool
credenv_in(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

bool
credenv_allowed(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
		return false;
	for (const char *const *p = credenv_prefixes; *p != NULL; p++)
		if (n > strlen(*p) && strncmp(name, *p, strlen(*p)) == 0)
			return true;
	return credenv_in(credenv_names, name);
}

bool
credenv_is_path(const char *name)
{
	return credenv_in(credenv_paths, name);
}
