/* entry-cmd.c: the command read from a file (mino-entry --cmd FILE), for a
 * container created before its command was known (a warm start: minod's
 * daemon/sandbox/spare.h).  FILE holds ARG\0 records. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entry.h"

static int
entry_cmd_read(const char *path, char **data, size_t *len, struct entry_error *err)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 || buf == NULL) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return entry_error_set(err, "%s: %s", path, buf == NULL ? "out of memory" : strerror(errno));
	}
	for (;;) {
		if (n == cap) {
			char *nb = cap >= ENTRY_ENV_FILE_MAX ? NULL : realloc(buf, cap * 2 + 1);

			if (nb == NULL) {
				free(buf);
				close(fd);
				return entry_error_set(err, "%s: too large", path);
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			entry_error_set(err, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

int
entry_cmd_load(const char *path, struct entry_cmd *cmd, struct entry_error *err)
{
	size_t len = 0, i, n = 0, k = 0;

	memset(cmd, 0, sizeof *cmd);
	if (entry_cmd_read(path, &cmd->buf, &len, err) < 0)
		return -1;
	if (len == 0 || cmd->buf[len - 1] != '\0') {
		entry_cmd_free(cmd);
		return entry_error_set(err, "%s: no command (or not ARG\\0 records)", path);
	}
	for (i = 0; i < len; i++)
		n += cmd->buf[i] == '\0';
	cmd->argv = calloc(n + 1, sizeof *cmd->argv);
	if (cmd->argv == NULL) {
		entry_cmd_free(cmd);
		return entry_error_set(err, "out of memory");
	}
	for (i = 0; i < len; i += strlen(cmd->buf + i) + 1)
		cmd->argv[k++] = cmd->buf + i;
	if (cmd->argv[0][0] == '\0') {
		entry_cmd_free(cmd);
		return entry_error_set(err, "%s: empty command name", path);
	}
	return 0;
}

void
entry_cmd_free(struct entry_cmd *cmd)
{
	free(cmd->argv);
	free(cmd->buf);
	memset(cmd, 0, sizeof *cmd);
}
