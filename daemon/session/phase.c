/* phase.c: a session's phase and every allowed transition, in one place
 * (session.h has the diagram). */
#include <stdbool.h>

#include "log.h"
#include "session.h"
#include "xalloc.h"

static const char *const session_phase_names[SESSION_NPHASES] = {
	[SESSION_NEW] = "new",
	[SESSION_PREPARING] = "preparing",
	[SESSION_CREATING] = "creating",
	[SESSION_PH_RUNNING] = "running",
	[SESSION_ENDED] = "ended",
	[SESSION_ABANDONED] = "abandoned",
	[SESSION_REMOVED] = "removed",
};

#define T(to) (1u << (to))
static const unsigned session_phase_next[SESSION_NPHASES] = {
	[SESSION_NEW] = T(SESSION_PREPARING) | T(SESSION_PH_RUNNING) | T(SESSION_ENDED) | T(SESSION_ABANDONED) |
	    T(SESSION_REMOVED),
	[SESSION_PREPARING] = T(SESSION_CREATING) | T(SESSION_ENDED) | T(SESSION_ABANDONED) | T(SESSION_REMOVED),
	[SESSION_CREATING] = T(SESSION_PH_RUNNING) | T(SESSION_ENDED) | T(SESSION_ABANDONED) | T(SESSION_REMOVED),
	[SESSION_PH_RUNNING] = T(SESSION_ENDED) | T(SESSION_ABANDONED),
	[SESSION_ENDED] = T(SESSION_REMOVED),
	[SESSION_ABANDONED] = T(SESSION_REMOVED),
	[SESSION_REMOVED] = 0,
};
#undef T

const char *
session_phase_name(enum session_phase ph)
{
	return (unsigned)ph < SESSION_NPHASES ? session_phase_names[ph] : "?";
}

bool
session_phase_allowed(enum session_phase from, enum session_phase to)
{
	if ((unsigned)from >= SESSION_NPHASES || (unsigned)to >= SESSION_NPHASES)
		return false;
	return (session_phase_next[from] & (1u << to)) != 0;
}

/* The status a phase shows (ENDED keeps the one its end set). */
static void
session_phase_status(struct session *s)
{
	switch (s->phase) {
	case SESSION_NEW:
	case SESSION_PREPARING:
	case SESSION_CREATING:
		s->status = SESSION_STARTING;
		break;
	case SESSION_PH_RUNNING:
		s->status = SESSION_RUNNING;
		break;
	default:
		break;
	}
}

void
session_set_phase(struct session *s, enum session_phase to)
{
	if (!session_phase_allowed(s->phase, to))
		fatal("session %s: no transition from %s to %s", s->spec.name, session_phase_name(s->phase),
		    session_phase_name(to));
	log_debug("session %s: %s -> %s", s->spec.name, session_phase_name(s->phase), session_phase_name(to));
	s->phase = to;
	session_phase_status(s);
}
