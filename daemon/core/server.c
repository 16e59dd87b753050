/* server.c: the listening socket (socket activation, launchd, or our own
 * bind), defensive accept, and the shutdown sequence.
 *
 * We bind with socket()/bind() ourselves and hand the fd to uv_pipe_open:
 * libuv 1.44's uv_pipe_bind truncates long paths silently and unlinks the
 * path when the handle is closed, which would break the EMFILE back-off
 * (close the listener for a second, then reopen it from a spare dup). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "mino-build.h"
#include "log.h"
#include "mino-protocol.h"
#include "minod.h"
#include "part-creds.h"
#include "server.h"
#include "xalloc.h"

#if HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif
#ifdef __APPLE__
#include <launch.h>
#endif

#define SERVER_BACKLOG 128
#define SERVER_EMFILE_BACKOFF_MS 1000
#define SERVER_FLUSH_STEP_MS 10
#define SERVER_FLUSH_MAX_STEPS 50          /* 0.5 s for daemon/stopping to get out */
#define SERVER_SESSIONS_TIMEOUT_MS 10000

static void server_connection_cb(uv_stream_t *, int);
static void server_resume_accept_cb(uv_timer_t *);
static void server_flush_cb(uv_timer_t *);
static void server_sessions_done(void);
static void server_sessions_timeout_cb(uv_timer_t *);
static void server_shutdown_cb(uv_timer_t *);
static int server_open_listener(int, struct mino_error **);

static uv_pipe_t server_listener;
static bool server_listening;      /* server_listener is open */
static int server_spare_fd = -1;   /* a dup of the listening socket */
static uv_timer_t server_accept_timer;
static uv_timer_t server_step_timer;
static unsigned server_flush_steps;
static bool server_finished;
static bool server_activated;      /* the socket came from systemd/launchd */
static bool server_bound;          /* we created the socket file */
static dev_t server_sock_dev;
static ino_t server_sock_ino;

bool
server_socket_activated(void)
{
	return server_activated;
}

/* 1 with *fd if the service manager passed a socket, 0 if not, -1 on error. */
static int
server_activated_fd(int *fd, struct mino_error **err)
{
#if HAVE_SYSTEMD
	int n = sd_listen_fds(1);

	if (n < 0)
		return mino_make_error(err, MINO_E_INTERNAL, -n, "sd_listen_fds");
	if (n > 1)
		return mino_make_error(err, MINO_E_CONFIG, 0,
			"the service manager passed %d sockets; minod.socket must have exactly one", n);
	if (n == 1) {
		if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0)
			return mino_make_error(err, MINO_E_CONFIG, 0,
				"the socket passed by the service manager is not a listening Unix stream socket");
		*fd = SD_LISTEN_FDS_START;
		return 1;
	}
#endif
#ifdef __APPLE__
	int *fds = NULL;
	size_t cnt = 0;
	int r = launch_activate_socket("Listeners", &fds, &cnt);

	if (r == 0) {
		if (cnt != 1) {
			for (size_t i = 0; i < cnt; i++)
				close(fds[i]);
			free(fds);
			return mino_make_error(err, MINO_E_CONFIG, 0,
				"launchd passed %zu sockets; the plist must have exactly one", cnt);
		}
		*fd = fds[0];
		free(fds);
		fcntl(*fd, F_SETFD, FD_CLOEXEC);
		return 1;
	}
	if (r != ESRCH)
		return mino_make_error(err, MINO_E_CONFIG, r, "launch_activate_socket(Listeners)");
#endif
	return 0;
}

/* Refuses to start over a live minod; removes a stale socket file. */
static int
server_check_existing(const struct sockaddr_un *sa, struct mino_error **err)
{
	const char *path = sa->sun_path;
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return mino_make_error(err, MINO_E_IO, errno, "stat `%s`", path);
	}
	if (!S_ISSOCK(st.st_mode))
		return mino_make_error(err, MINO_E_IO, 0, "`%s` exists and is not a socket", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return mino_make_error(err, MINO_E_IO, errno, "socket");
	if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0 || errno == EAGAIN ||
	    errno == EINPROGRESS)
		return mino_make_error(err, MINO_E_IO, 0, "another minod is already listening on %s", path);
	if (errno == ENOENT)
		return 0;
	if (errno != ECONNREFUSED)
		return mino_make_error(err, MINO_E_IO, errno, "connect `%s`", path);
	log_info("removing stale socket %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return mino_make_error(err, MINO_E_IO, errno, "unlink `%s`", path);
	return 0;
}

static int
server_bind(int *out, struct mino_error **err)
{
	const char *path = minod.socket_path;
	struct sockaddr_un sa;
	_cleanup_close_ int fd = -1;
	struct stat st;
	mode_t old;
	int r, e;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path)
		return mino_make_error(err, MINO_E_IO, ENAMETOOLONG, "socket path `%s`", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (server_check_existing(&sa, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return mino_make_error(err, MINO_E_IO, errno, "socket");
	old = umask(0177); /* the node is created 0600; never chmod afterwards */
	r = bind(fd, (const struct sockaddr *)&sa, sizeof sa);
	e = errno;
	umask(old);
	if (r < 0) {
		if (e == EADDRINUSE)
			return mino_make_error(err, MINO_E_IO, 0, "another minod is already listening on %s", path);
		return mino_make_error(err, MINO_E_IO, e, "bind `%s`", path);
	}
	server_bound = true;
	if (stat(path, &st) == 0) {
		server_sock_dev = st.st_dev;
		server_sock_ino = st.st_ino;
	}
	*out = steal_fd(&fd);
	return 0;
}

static int
server_open_listener(int fd, struct mino_error **err)
{
	int r;

	uv_pipe_init(minod.loop, &server_listener, 0);
	r = uv_pipe_open(&server_listener, fd);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&server_listener, SERVER_BACKLOG, server_connection_cb);
	server_listening = true;
	if (r < 0) {
		server_listening = false;
		uv_close((uv_handle_t *)&server_listener, NULL);
		return mino_make_error(err, MINO_E_IO, 0, "listen on %s: %s", minod.socket_path, uv_strerror(r));
	}
	return 0;
}

int
server_listen(struct mino_error **err)
{
	int fd = -1;
	int r;

	uv_timer_init(minod.loop, &server_accept_timer);
	uv_timer_init(minod.loop, &server_step_timer);
	r = server_activated_fd(&fd, err);
	if (r < 0)
		return -1;
	server_activated = r == 1;
	if (!server_activated && server_bind(&fd, err) < 0)
		return -1;
	server_spare_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (server_open_listener(fd, err) < 0)
		return -1;
	log_info("listening on %s%s", minod.socket_path,
		server_activated ? " (socket passed by the service manager)" : "");
	return 0;
}

/* Our own socket file only, and only if it is still the one we bound. */
static void
server_unlink_socket(void)
{
	struct stat st;

	if (!server_bound)
		return;
	server_bound = false;
	if (stat(minod.socket_path, &st) < 0 || st.st_dev != server_sock_dev ||
	    st.st_ino != server_sock_ino)
		return;
	if (unlink(minod.socket_path) < 0)
		log_warn("unlink %s: %s", minod.socket_path, strerror(errno));
}

static void
server_close_listener(void)
{
	server_unlink_socket(); /* before closing: nobody can race us for the path */
	if (server_listening) {
		server_listening = false;
		uv_close((uv_handle_t *)&server_listener, NULL);
	}
	uv_timer_stop(&server_accept_timer);
	if (server_spare_fd >= 0) {
		close(server_spare_fd);
		server_spare_fd = -1;
	}
}

static void
server_pause_accept(void)
{
	if (!server_listening || server_spare_fd < 0) {
		log_warn("out of file descriptors");
		return;
	}
	log_warn("out of file descriptors: not accepting for %d ms", SERVER_EMFILE_BACKOFF_MS);
	server_listening = false;
	uv_close((uv_handle_t *)&server_listener, NULL); /* the spare dup keeps the socket */
	uv_timer_start(&server_accept_timer, server_resume_accept_cb, SERVER_EMFILE_BACKOFF_MS, 0);
}

static void
server_resume_accept_cb(uv_timer_t *t)
{
	struct mino_error *err = NULL;
	int fd = server_spare_fd;

	if (minod.shutting_down || fd < 0)
		return;
	server_spare_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3); /* -1 is fine: no more pauses */
	if (server_open_listener(fd, &err) < 0) {
		log_err("%s", err->msg);
		mino_error_release(&err);
		server_shutdown();
	}
}

static int
server_peer_cred(int fd, long *uid, long *pid)
{
#if defined(SO_PEERCRED)
	struct ucred cred;
	socklen_t len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	*uid = (long)cred.uid;
	*pid = (long)cred.pid;
	return 0;
#else
	uid_t u;
	gid_t g;

	if (getpeereid(fd, &u, &g) < 0)
		return -1;
	*uid = (long)u;
	*pid = -1;
	return 0;
#endif
}

static void
server_connection_cb(uv_stream_t *listener, int status)
{
	struct conn *c;
	char peer[64];
	long uid = -1, pid = -1;
	int uverr = 0;

	if (status < 0) {
		if (status == UV_EMFILE || status == UV_ENFILE)
			server_pause_accept();
		else
			log_warn("accept: %s", uv_strerror(status));
		return;
	}
	c = conn_accept(listener, &uverr);
	if (c == NULL) {
		log_warn("accept: %s", uv_strerror(uverr));
		return;
	}
	if (server_peer_cred(conn_fd(c), &uid, &pid) < 0 || uid != (long)getuid()) {
		log_warn("refusing a connection from pid %ld uid %ld (we are uid %ld)", pid, uid,
			(long)getuid());
		conn_kill(c, "foreign uid");
		return;
	}
	snprintf(peer, sizeof peer, "pid %ld", pid);
	if (minod.shutting_down) {
		conn_reject(c, peer, MINO_E_SHUTTING_DOWN, "minod is shutting down");
		return;
	}
	if (minod.nclients >= MINOD_MAX_CLIENTS && !conn_evict_idle()) {
		log_warn("refusing %s: already %u clients", peer, minod.nclients);
		conn_reject(c, peer, MINO_E_LIMIT, "too many clients");
		return;
	}
	conn_start(c, peer);
}

/* The shutdown sequence: STOPPING=1, close the listener, tell clients and
 * give that a moment to get out, stop sessions (containers keep running),
 * then close every connection and handle so uv_run() returns. */
void
server_shutdown(void)
{
	if (minod.shutting_down) {
		log_info("already shutting down");
		return;
	}
	minod.shutting_down = true;
	log_info("shutting down");
	notify_stopping();
	server_close_listener();
	conn_broadcast("daemon/stopping");
	server_flush_steps = 0;
	uv_timer_start(&server_step_timer, server_flush_cb, 0, SERVER_FLUSH_STEP_MS);
}

static void
server_shutdown_cb(uv_timer_t *t)
{
	server_shutdown();
}

void
server_shutdown_soon(void)
{
	if (!minod.shutting_down)
		uv_timer_start(&server_step_timer, server_shutdown_cb, 0, 0);
}

static void
server_flush_cb(uv_timer_t *t)
{
	if (conn_total_write_queue() > 0 && ++server_flush_steps < SERVER_FLUSH_MAX_STEPS)
		return;
	uv_timer_stop(t);
	uv_timer_start(t, server_sessions_timeout_cb, SERVER_SESSIONS_TIMEOUT_MS, 0);
	sessions_shutdown(server_sessions_done);
}

static void
server_sessions_timeout_cb(uv_timer_t *t)
{
	log_warn("sessions did not finish closing in %d ms; stopping anyway",
		SERVER_SESSIONS_TIMEOUT_MS);
	server_sessions_done();
}

static void
server_walk_cb(uv_handle_t *h, void *arg)
{
	if (uv_is_closing(h))
		return;
	if (uv_handle_get_type(h) == UV_SIGNAL)
		log_debug("closing a signal handle");
	else
		log_warn("closing a leftover %s handle", uv_handle_type_name(uv_handle_get_type(h)));
	uv_close(h, NULL);
}

static void
server_sessions_done(void)
{
	if (server_finished)
		return;
	server_finished = true;
	log_debug("sessions closed; closing connections");
	conn_close_all();
	rpc_fini();
	conn_fini();
	part_creds_fini();
	notify_watchdog_stop();
	uv_close((uv_handle_t *)&server_accept_timer, NULL);
	uv_close((uv_handle_t *)&server_step_timer, NULL);
	uv_walk(minod.loop, server_walk_cb, NULL);
}
