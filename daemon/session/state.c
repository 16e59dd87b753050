/* state.c: session records on disk (state.h). */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "minod.h"
#include "mino-protocol.h"
#include "names.h"
#include "state.h"
#include "xalloc.h"

int
state_init(struct mino_error **err)
{
	_cleanup_free_ char *sessions = NULL;
	_cleanup_free_ char *logs = NULL;

	if (fs_mkdir_p(minod.state_dir, 0700, 1, err) < 0)
		return mino_error_wrap(err, "state directory");
	sessions = xasprintf("%s/sessions", minod.state_dir);
	logs = xasprintf("%s/logs", minod.state_dir);
	if (fs_mkdir_p(sessions, 0700, 1, err) < 0 || fs_mkdir_p(logs, 0700, 1, err) < 0)
		return mino_error_wrap(err, "state directory");
	return 0;
}

char *
state_path(const char *sub, const char *name, const char *suffix)
{
	return xasprintf("%s/%s/%s%s", minod.state_dir, sub, name, suffix);
}

int
state_write_record(const char *name, const json_t *rec, struct mino_error **err)
{
	_cleanup_free_ char *path = state_path("sessions", name, ".json");
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *line = NULL;

	text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "encoding record of `%s`", name);
	line = xasprintf("%s\n", text);
	return fs_write_atomic(path, line, strlen(line), 0600, err);
}

void
state_remove_record(const char *name)
{
	_cleanup_free_ char *path = state_path("sessions", name, ".json");

	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("removing `%s`: %s", path, strerror(errno));
}

static json_t *
state_load_one(const char *dir, const char *file)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	_cleanup_free_ char *text = NULL;
	struct mino_error *err = NULL;
	json_error_t jerr;
	json_t *rec;
	size_t len;

	if (fs_read_file(path, STATE_RECORD_MAX, &text, &len, &err) < 0) {
		log_warn("%s", err->msg);
		mino_error_release(&err);
		return NULL;
	}
	rec = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (rec == NULL || !json_is_object(rec)) {
		log_warn("%s: not a session record (%s)", path, rec ? "not an object" : jerr.text);
		json_decref(rec);
		return NULL;
	}
	return rec;
}

json_t *
state_load_records(void)
{
	_cleanup_free_ char *dir = xasprintf("%s/sessions", minod.state_dir);
	json_t *all = json_array();
	struct dirent *de;
	size_t n;
	char name[256];
	DIR *d;

	d = opendir(dir);
	if (d == NULL) {
		if (errno != ENOENT)
			log_warn("reading `%s`: %s", dir, strerror(errno));
		return all;
	}
	while ((de = readdir(d)) != NULL) {
		json_t *rec;

		n = strlen(de->d_name);
		if (n <= 5 || n - 5 >= sizeof name || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		memcpy(name, de->d_name, n - 5);
		name[n - 5] = '\0';
		if (!name_is_valid(name))
			continue;
		rec = state_load_one(dir, de->d_name);
		if (rec != NULL)
			json_array_append_new(all, rec);
	}
	closedir(d);
	return all;
}
