/* credenv.h: which of the client's environment variables may travel in
 * session/create's `credential_env` (both sides use this one list). */
#ifndef MINO_CREDENV_H
#define MINO_CREDENV_H

#include <stdbool.h>

/* AWS_*, AZURE_*, CLOUDSDK_*, GOOGLE_APPLICATION_CREDENTIALS, GH_TOKEN,
 * GITHUB_TOKEN, SSH_AUTH_SOCK, and HOME, PATH, XDG_CONFIG_HOME (where the
 * credential files and helper programs are). */
bool credenv_allowed(const char *name);
/* Whether the variable's value is a file path (made absolute by the client). */
bool credenv_is_path(const char *name);

#endif
