/* fuzz-record.c: the session-record loader, as minod runs it at start-up.
 * Each input is written as sessions/NAME.json under a private state
 * directory; state_load_records() reads it (size cap, JSON, object check)
 * and session_from_record() builds a session from it.  A record that
 * loads must survive the round trip through session_record_json(). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "error.h"
#include "minod.h"
#include "session.h"
#include "state.h"
#include "xalloc.h"

struct minod minod;

static char *fuzz_dir;
static char *fuzz_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer ends with exit(): leave no state directory behind. */
static void
fuzz_remove_dir(void)
{
	char *sessions = xasprintf("%s/sessions", fuzz_dir);

	unlink(fuzz_path);
	rmdir(sessions);
	rmdir(fuzz_dir);
	free(sessions);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmpl[] = "/dev/shm/fuzz-record-XXXXXX"; /* memory: no writeback per input */
	char tmpl2[] = "/tmp/fuzz-record-XXXXXX";
	char *sessions;

	(void)argc;
	(void)argv;
	if (mkdtemp(tmpl) == NULL && mkdtemp(strcpy(tmpl, tmpl2)) == NULL)
		abort();
	fuzz_dir = xstrdup(tmpl);
	sessions = xasprintf("%s/sessions", fuzz_dir);
	if (mkdir(sessions, 0700) < 0)
		abort();
	free(sessions);
	fuzz_path = xasprintf("%s/sessions/fuzzed.json", fuzz_dir);
	atexit(fuzz_remove_dir);
	minod.state_dir = fuzz_dir;
	/* minod's warnings about bad records go nowhere; fd 2 stays for the
	 * sanitizers' and libFuzzer's reports. */
	stderr = fopen("/dev/null", "w");
	if (stderr == NULL)
		abort();
	return 0;
}

static void
fuzz_write_record(const uint8_t *data, size_t size)
{
	FILE *f = fopen(fuzz_path, "wb");

	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
}

/* A session from a record gives the same record back, field for field. */
static void
fuzz_round_trip(const json_t *rec)
{
	struct mino_error *err = NULL;
	struct session *s = session_from_record(rec, &err), *again;
	json_t *out, *out2;

	if (s == NULL) {
		mino_error_release(&err);
		return;
	}
	out = session_record_json(s);
	again = session_from_record(out, &err);
	if (again == NULL)
		abort(); /* a record minod wrote must load */
	out2 = session_record_json(again);
	if (!json_equal(out, out2))
		abort();
	json_decref(out2);
	json_decref(out);
	session_unref(again);
	session_unref(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *all, *rec;
	size_t i;

	fuzz_write_record(data, size);
	all = state_load_records();
	json_array_foreach(all, i, rec)
		fuzz_round_trip(rec);
	json_decref(all);
	return 0;
}
