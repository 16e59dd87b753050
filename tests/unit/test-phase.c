/* test-phase.c: a session's phases and the one table of allowed
 * transitions (daemon/session/phase.c). */
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "tap.h"

struct minod minod;

int
main(void)
{
	static const struct { enum session_phase from, to; bool allowed; const char *why; } cases[] = {
		{ SESSION_NEW, SESSION_PREPARING, true, "a create prepares its parts" },
		{ SESSION_PREPARING, SESSION_CREATING, true, "prepared: its container run begins" },
		{ SESSION_CREATING, SESSION_PH_RUNNING, true, "the container runs" },
		{ SESSION_PH_RUNNING, SESSION_ENDED, true, "it ends" },
		{ SESSION_ENDED, SESSION_REMOVED, true, "an ended session is removed" },
		{ SESSION_NEW, SESSION_PH_RUNNING, true, "a record re-adopted at start" },
		{ SESSION_NEW, SESSION_ENDED, true, "a loaded record of an ended session" },
		{ SESSION_PREPARING, SESSION_ENDED, true, "stopped before it started" },
		{ SESSION_PREPARING, SESSION_REMOVED, true, "a failed part discards it" },
		{ SESSION_CREATING, SESSION_REMOVED, true, "a failed create discards it" },
		{ SESSION_PH_RUNNING, SESSION_ABANDONED, true, "minod stops" },
		{ SESSION_ABANDONED, SESSION_REMOVED, true, "abandoned sessions are dropped at exit" },
		{ SESSION_PH_RUNNING, SESSION_PREPARING, false, "no way back to preparing" },
		{ SESSION_PH_RUNNING, SESSION_REMOVED, false, "a running session is not removed before its end" },
		{ SESSION_ENDED, SESSION_PH_RUNNING, false, "an ended session does not run again" },
		{ SESSION_ENDED, SESSION_ABANDONED, false, "an ended session's end stays recorded" },
		{ SESSION_ABANDONED, SESSION_ENDED, false, "nothing is recorded after abandon" },
		{ SESSION_REMOVED, SESSION_NEW, false, "removed is final" },
		{ SESSION_REMOVED, SESSION_REMOVED, false, "removed once" },
		{ SESSION_CREATING, SESSION_PREPARING, false, "creating does not go back" },
		{ SESSION_NEW, SESSION_CREATING, false, "no container run without its parts" },
	};
	unsigned n_allowed = 0;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ok(session_phase_allowed(cases[i].from, cases[i].to) == cases[i].allowed, "%s -> %s: %s (%s)",
		    session_phase_name(cases[i].from), session_phase_name(cases[i].to),
		    cases[i].allowed ? "allowed" : "refused", cases[i].why);
	for (int f = 0; f < SESSION_NPHASES; f++)
		for (int t = 0; t < SESSION_NPHASES; t++)
			n_allowed += session_phase_allowed((enum session_phase)f, (enum session_phase)t);
	ok(n_allowed == 17, "exactly the 17 transitions of the diagram are allowed (%u)", n_allowed);
	ok(!session_phase_allowed((enum session_phase)99, SESSION_NEW), "an unknown phase has no transition");
	is_str(session_phase_name(SESSION_CREATING), "creating", "phase names");
	return tap_done();
}
