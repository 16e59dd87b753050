/* notify.c: talking to the service manager (sd_notify).  Everything here
 * is a no-op without libsystemd or without $NOTIFY_SOCKET; return values
 * are informational only. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "mino-build.h"
#include "log.h"
#include "minod.h"
#include "server.h"

#if HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

static uv_timer_t notify_watchdog_timer;
static bool notify_watchdog_on;

static void
notify_send(const char *state)
{
#if HAVE_SYSTEMD
	int r = sd_notify(0, state);

	if (r < 0)
		log_debug("sd_notify %s: %s", state, strerror(-r));
#else
	(void)state;
#endif
}

void
notify_ready(void)
{
	notify_send("READY=1");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}

void
notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		(uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	notify_send(msg);
}

void
notify_status(void)
{
	static char last[96];
	char msg[96];

	snprintf(msg, sizeof msg, "STATUS=%u sessions running, %u clients",
		sessions_count_running(), minod.nclients);
	if (strcmp(msg, last) == 0)
		return;
	memcpy(last, msg, sizeof last);
	notify_send(msg);
}

static void
notify_watchdog_cb(uv_timer_t *t)
{
	notify_send("WATCHDOG=1");
}

/* Pings at half the interval systemd asked for (WatchdogSec=). */
void
notify_watchdog_start(void)
{
#if HAVE_SYSTEMD
	uint64_t usec = 0;
	uint64_t ms;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	ms = usec / 2000;
	if (ms == 0)
		ms = 1;
	uv_timer_init(minod.loop, &notify_watchdog_timer);
	uv_timer_start(&notify_watchdog_timer, notify_watchdog_cb, ms, ms);
	uv_unref((uv_handle_t *)&notify_watchdog_timer);
	notify_watchdog_on = true;
	log_debug("watchdog ping every %" PRIu64 " ms", ms);
	notify_send("WATCHDOG=1");
#endif
}

void
notify_watchdog_stop(void)
{
	if (!notify_watchdog_on)
		return;
	notify_watchdog_on = false;
	uv_close((uv_handle_t *)&notify_watchdog_timer, NULL);
}
