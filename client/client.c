/* client.c: the connection to minod: connect, auto-start, hello, and a
 * blocking request/response helper.  Notifications that arrive while a
 * reply is awaited are kept in c->backlog for stream.c. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mino-build.h"
#include "client.h"
#include "fsutil.h"
#include "jsonrpc.h"
#include "log.h"
#include "mino-protocol.h"
#include "outframe.h"
#include "paths.h"
#include "xalloc.h"

#define CLIENT_READ_SIZE (64u * 1024)
#define CLIENT_START_TIMEOUT_MS 5000

extern char **environ;

static int client_start_daemon(const char *socket_path, struct mino_error **err);
static int client_connect_or_start(const char *path, bool start, struct mino_error **err);
static int client_wait_reply(struct client *c, const char *method, long long id, bool write_failed,
	json_t **reply, struct mino_error **err);
static int client_reply_error(json_t *reply, struct mino_error **err);
static char *client_find_minod(void);
static bool client_is_executable(const char *path);
static char **client_daemon_env(void);
static void client_spawn_child(const char *minod, int ready_fd, int log_fd, char **envp)
	__attribute__((noreturn));
static int client_wait_ready(int fd, const char *log_path, struct mino_error **err);
static int client_write_all(struct client *c, const char *data, size_t len, struct mino_error **err);
static int client_read_message(struct client *c, struct rpc_msg *msg, struct mino_error **err);
static int client_reply_error(json_t *reply, struct mino_error **err);

int
client_connect_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sun.sun_path)
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(fd);
		return -e;
	}
	return fd;
}

static bool
client_is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* $MINO_MINOD, beside mino, ../daemon/minod (build tree), else PATH. */
static char *
client_find_minod(void)
{
	const char *env = getenv("MINO_MINOD");
	_cleanup_free_ char *self = NULL;
	struct mino_error *err = NULL;
	char *path;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	if (paths_self_dir(&self, &err) == 0) {
		path = xasprintf("%s/minod", self);
		if (client_is_executable(path))
			return path;
		free(path);
		path = xasprintf("%s/../daemon/minod", self);
		if (client_is_executable(path))
			return path;
		free(path);
	}
	mino_error_release(&err);
	return xstrdup("minod"); /* execvpe searches PATH */
}

/* Our environment minus what belongs to a service manager. */
static char **
client_daemon_env(void)
{
	static const char *const drop[] = {
		"NOTIFY_SOCKET=", "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=",
		"WATCHDOG_USEC=", "WATCHDOG_PID=", NULL,
	};
	size_t n = 0, i, j;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 1, sizeof *env);
	for (i = 0, j = 0; i < n; i++) {
		const char *const *d;

		for (d = drop; *d != NULL; d++)
			if (strncmp(environ[i], *d, strlen(*d)) == 0)
				break;
		if (*d == NULL)
			env[j++] = environ[i];
	}
	env[j] = NULL;
	return env;
}

/* In the first child: new session, fork again, exec minod in the grandchild. */
static void
client_spawn_child(const char *minod, int ready_fd, int log_fd, char **envp)
{
	char fdarg[16];
	char *argv[4];
	sigset_t none;
	int null_fd, sig;

	if (setsid() < 0)
		_exit(127);
	switch (fork()) {
	case -1:
		_exit(127);
	case 0:
		break;
	default:
		_exit(0);
	}
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		_exit(127);
	if (fcntl(ready_fd, F_SETFD, 0) < 0) /* the one fd minod inherits */
		_exit(127);
	if (chdir("/") < 0)
		_exit(127);
	snprintf(fdarg, sizeof fdarg, "%d", ready_fd);
	argv[0] = (char *)"minod";
	argv[1] = (char *)"--ready-fd";
	argv[2] = fdarg;
	argv[3] = NULL;
	if (strchr(minod, '/') != NULL)
		execve(minod, argv, envp);
	else
		execvpe(minod, argv, envp);
	dprintf(2, "mino: cannot execute `%s`: %s\n", minod, strerror(errno));
	_exit(127);
}

/* Waits for minod's readiness byte. */
static int
client_wait_ready(int fd, const char *log_path, struct mino_error **err)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec start, now;
	long left = CLIENT_START_TIMEOUT_MS;
	char byte;
	ssize_t n;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			break;
		if (rc < 0 && errno != EINTR)
			return mino_make_error(err, MINO_E_IO, errno, "waiting for minod to start");
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = CLIENT_START_TIMEOUT_MS - ((now.tv_sec - start.tv_sec) * 1000 +
			(now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			return mino_make_error(err, MINO_E_IO, 0,
				"minod did not become ready within %d s (see %s)",
				CLIENT_START_TIMEOUT_MS / 1000, log_path);
	}
	do
		n = read(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return mino_make_error(err, MINO_E_IO, 0, "minod exited before it was ready (see %s)", log_path);
	return 0;
}

static int
client_start_daemon(const char *socket_path, struct mino_error **err)
{
	_cleanup_free_ char *state = NULL;
	_cleanup_free_ char *log_path = NULL;
	_cleanup_free_ char *minod = NULL;
	_cleanup_free_ char **envp = NULL;
	_cleanup_close_ int log_fd = -1;
	_cleanup_close_ int rfd = -1;
	_cleanup_close_ int wfd = -1;
	int pipefd[2], status;
	pid_t pid;

	if (paths_state_dir(&state, err) < 0)
		return -1;
	if (fs_mkdir_p(state, 0700, 1, err) < 0)
		return mino_error_wrap(err, "starting minod");
	log_path = xasprintf("%s/minod.log", state);
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (log_fd < 0)
		return mino_make_error(err, MINO_E_IO, errno, "starting minod: open `%s`", log_path);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return mino_make_error(err, MINO_E_IO, errno, "starting minod: pipe");
	rfd = pipefd[0];
	wfd = pipefd[1];
	minod = client_find_minod();
	envp = client_daemon_env();
	log_debug("starting %s for %s (log %s)", minod, socket_path, log_path);

	pid = fork();
	if (pid < 0)
		return mino_make_error(err, MINO_E_IO, errno, "starting minod: fork");
	if (pid == 0)
		client_spawn_child(minod, wfd, log_fd, envp);
	close(steal_fd(&wfd));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return client_wait_ready(rfd, log_path, err);
}

/* tmux's protocol: connect; if nobody listens take the lock, retry once,
 * then clear a stale socket and start minod. */
static int
client_connect_or_start(const char *path, bool start, struct mino_error **err)
{
	_cleanup_free_ char *lock_path = NULL;
	_cleanup_close_ int lock_fd = -1;
	int fd;

	fd = client_connect_socket(path);
	if (fd >= 0)
		return fd;
	if (!start || (fd != -ENOENT && fd != -ECONNREFUSED))
		return mino_make_error(err, MINO_E_IO, 0, "cannot reach minod at %s: %s", path, strerror(-fd));

	lock_path = xasprintf("%s.lock", path);
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (lock_fd < 0)
		return mino_make_error(err, MINO_E_IO, errno, "cannot reach minod at %s: open `%s`", path,
			lock_path);
	while (flock(lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return mino_make_error(err, MINO_E_IO, errno, "cannot reach minod at %s: lock `%s`",
				path, lock_path);
	}
	fd = client_connect_socket(path);
	if (fd >= 0)
		return fd;
	if (fd != -ENOENT && fd != -ECONNREFUSED)
		return mino_make_error(err, MINO_E_IO, 0, "cannot reach minod at %s: %s", path, strerror(-fd));
	if (unlink(path) < 0 && errno != ENOENT)
		return mino_make_error(err, MINO_E_IO, errno, "cannot reach minod at %s: removing a stale socket",
			path);
	if (client_start_daemon(path, err) < 0)
		return mino_error_wrap(err, "cannot reach minod at %s", path);
	fd = client_connect_socket(path);
	if (fd < 0)
		return mino_make_error(err, MINO_E_IO, 0, "cannot reach minod at %s: %s", path, strerror(-fd));
	return fd;
}

static int client_hello_reply(struct client *c, struct mino_error **err);
static void client_hello_refused(struct client *c, struct mino_error **err);

int
client_open(bool start, bool verbose, struct client **out, struct mino_error **err)
{
	struct client *c;
	_cleanup_free_ char *path = NULL;
	int fd;

	if (paths_socket(&path, err) < 0)
		return mino_error_wrap(err, "cannot reach minod");
	fd = client_connect_or_start(path, start, err);
	if (fd < 0)
		return -1;
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->socket_path = steal_pointer(&path);
	c->next_id = 1;
	c->backlog = json_array();
	frame_reader_init(&c->reader, MINO_MAX_HEADER_BYTES, MINO_MAX_BODY_MAX);
	if (client_hello(c, err) < 0) {
		client_hello_refused(c, err);
		client_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* A hello that could not be written because minod had already refused the
 * connection (at its client limit it answers and closes at once): its reason
 * is still in the socket's receive queue, and it replaces the write error. */
static void
client_hello_refused(struct client *c, struct mino_error **err)
{
	struct mino_error *why = NULL;

	if (*err == NULL || ((*err)->errno_ != EPIPE && (*err)->errno_ != ECONNRESET))
		return;
	if (client_hello_reply(c, &why) < 0 && why != NULL) {
		mino_error_release(err);
		*err = why;
	}
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->socket_path);
	frame_reader_free(&c->reader);
	json_decref(c->backlog);
	free(c);
}

/* Sends mino/hello; client_request reads its reply before its own. */
int
client_hello(struct client *c, struct mino_error **err)
{
	_cleanup_json_ json_t *req = NULL;
	_cleanup_free_ char *framed = NULL;
	json_t *params;
	size_t len;

	/* output as binary frames: stream.c writes them out as they are */
	params = json_pack("{s:i, s:s, s:s}", "protocol", MINO_PROTOCOL_VERSION,
		"client", "mino " MINO_VERSION, "output", "binary");
	c->hello_id = c->next_id++;
	req = rpc_request_new(c->hello_id, "mino/hello", params);
	framed = rpc_encode(req, &len);
	if (framed == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "encoding mino/hello");
	return client_write_all(c, framed, len, err);
}

/* The reply to the hello sent by client_hello: a failed hello is this
 * request's error. */
static int
client_hello_reply(struct client *c, struct mino_error **err)
{
	_cleanup_json_ json_t *reply = NULL;
	long long id = c->hello_id;

	c->hello_id = 0;
	if (client_wait_reply(c, "mino/hello", id, false, &reply, err) < 0)
		return -1;
	if (json_object_get(reply, "error") != NULL)
		return client_reply_error(reply, err);
	log_debug("connected to %s (protocol %lld)", c->socket_path,
		(long long)json_integer_value(json_object_get(json_object_get(reply, "result"), "protocol")));
	return 0;
}

int
client_hello_wait(struct client *c, struct mino_error **err)
{
	return c->hello_id != 0 ? client_hello_reply(c, err) : 0;
}

static int
client_write_all(struct client *c, const char *data, size_t len, struct mino_error **err)
{
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return mino_make_error(err, MINO_E_IO, errno, "writing to minod");
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

#define CLIENT_INTERRUPTED (-2)

/* Output that came before the reply awaited, as a binary frame: kept in
 * the backlog as the JSON notification it stands for. */
static int
client_binary_message(const char *body, size_t len, struct rpc_msg *msg, struct mino_error **err)
{
	json_t *n = outframe_to_notification(body, len);

	if (n == NULL)
		return mino_make_error(err, MINO_E_IO, 0, "reading from minod: a malformed binary output frame");
	memset(msg, 0, sizeof *msg);
	msg->kind = RPC_KIND_NOTIFICATION;
	msg->root = n;
	msg->method = json_string_value(json_object_get(n, "method"));
	msg->params = json_object_get(n, "params");
	return 0;
}

/* Reads until one whole message is parsed into *msg; CLIENT_INTERRUPTED
 * when a read is interrupted and *c->interrupted is set. */
static int
client_read_message(struct client *c, struct rpc_msg *msg, struct mino_error **err)
{
	const char *body;
	size_t len, room;
	char *space;
	ssize_t n;
	int rc;

	for (;;) {
		rc = frame_reader_next(&c->reader, &body, &len, err);
		if (rc < 0)
			return mino_error_wrap(err, "reading from minod");
		if (rc > 0 && c->reader.binary)
			return client_binary_message(body, len, msg, err);
		if (rc > 0) {
			if (rpc_parse(body, len, msg, NULL, err) < 0)
				return mino_error_wrap(err, "reading from minod");
			return 0;
		}
		space = frame_reader_space(&c->reader, CLIENT_READ_SIZE, &room);
		n = read(c->fd, space, room);
		if (n < 0) {
			if (errno == EINTR && c->interrupted != NULL && *c->interrupted)
				return CLIENT_INTERRUPTED;
			if (errno == EINTR)
				continue;
			return mino_make_error(err, MINO_E_IO, errno, "reading from minod");
		}
		if (n == 0)
			return mino_make_error(err, MINO_E_IO, 0, "minod closed the connection");
		frame_reader_commit(&c->reader, (size_t)n);
	}
}

int
client_request(struct client *c, const char *method, json_t *params, json_t **reply,
	struct mino_error **err)
{
	_cleanup_json_ json_t *req = NULL;
	_cleanup_free_ char *framed = NULL;
	long long id = c->next_id++;
	bool write_failed = false;
	size_t len;

	req = rpc_request_new(id, method, params != NULL ? params : json_object());
	framed = rpc_encode(req, &len);
	if (framed == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "encoding %s", method);
	log_debug("-> %s id %lld", method, id); /* never the params: they may hold env values */
	/* Past the pre-hello cap, the request waits for the hello's reply. */
	if (c->hello_id != 0 && len > MINO_MAX_BODY_PREHELLO / 2 && client_hello_reply(c, err) < 0)
		return -1;
	if (client_write_all(c, framed, len, err) < 0) {
		/* minod may have said why before it closed: read that. */
		if ((*err)->errno_ != EPIPE && (*err)->errno_ != ECONNRESET)
			return -1;
		mino_error_release(err);
		write_failed = true;
	}
	if (c->hello_id != 0 && client_hello_reply(c, err) < 0)
		return -1;
	return client_wait_reply(c, method, id, write_failed, reply, err);
}

static int
client_wait_reply(struct client *c, const char *method, long long id, bool write_failed, json_t **reply,
	struct mino_error **err)
{
	struct rpc_msg msg;
	bool cancelled = false;
	int rc;

	for (;;) {
		rc = client_read_message(c, &msg, err);
		if (rc == CLIENT_INTERRUPTED) {
			if (cancelled)
				continue;
			cancelled = true;
			if (client_notify(c, "$/cancelRequest", json_pack("{sI}", "id", (json_int_t)id), err) < 0)
				return -1;
			continue;
		}
		if (rc < 0) {
			if (write_failed)
				mino_error_wrap(err, "writing to minod failed, then");
			return -1;
		}
		if (msg.kind == RPC_KIND_NOTIFICATION && c->on_progress != NULL && msg.method != NULL &&
		    (strcmp(msg.method, "session/progress") == 0 || strcmp(msg.method, "image/progress") == 0)) {
			c->on_progress(msg.params, c->progress_arg);
			rpc_msg_free(&msg);
			continue;
		}
		if (msg.kind == RPC_KIND_NOTIFICATION) {
			json_array_append(c->backlog, msg.root);
			rpc_msg_free(&msg);
			continue;
		}
		/* An error with id null is about the connection (e.g. "too many
		 * clients"): minod closes it next, so report this, not the close. */
		if ((msg.kind == RPC_KIND_RESPONSE && json_is_integer(msg.id) &&
		    json_integer_value(msg.id) == id) ||
		    (msg.error != NULL && (msg.id == NULL || json_is_null(msg.id)))) {
			log_debug("<- %s id %lld%s", method, id, msg.error != NULL ? " (error)" : "");
			if (c->on_progress != NULL)
				c->on_progress(NULL, c->progress_arg); /* the end: clear its line */
			*reply = json_incref(msg.root);
			rpc_msg_free(&msg);
			return 0;
		}
		rpc_msg_free(&msg); /* a stray reply or a request: not for us */
	}
}

static int
client_reply_error(json_t *reply, struct mino_error **err)
{
	json_t *error = json_object_get(reply, "error");
	json_t *data = json_object_get(error, "data");
	const char *message = json_string_value(json_object_get(error, "message"));
	int code = (int)json_integer_value(json_object_get(error, "code"));

	(void)data;
	return mino_make_error(err, code != 0 ? code : MINO_E_INTERNAL, 0, "%s",
		message != NULL ? message : "minod returned an error without a message");
}

int
client_call(struct client *c, const char *method, json_t *params, json_t **result,
	struct mino_error **err)
{
	return client_call_data(c, method, params, result, NULL, err);
}

int
client_call_data(struct client *c, const char *method, json_t *params, json_t **result,
	json_t **data, struct mino_error **err)
{
	_cleanup_json_ json_t *reply = NULL;
	json_t *res;

	if (client_request(c, method, params, &reply, err) < 0)
		return -1;
	if (json_object_get(reply, "error") != NULL) {
		res = json_object_get(json_object_get(reply, "error"), "data");
		if (data != NULL && json_is_object(res))
			*data = json_incref(res);
		return client_reply_error(reply, err);
	}
	res = json_object_get(reply, "result");
	*result = res != NULL && !json_is_null(res) ? json_incref(res) : json_object();
	return 0;
}

int
client_notify(struct client *c, const char *method, json_t *params, struct mino_error **err)
{
	_cleanup_json_ json_t *msg = NULL;
	_cleanup_free_ char *framed = NULL;
	size_t len;

	msg = rpc_notification_new(method, params != NULL ? params : json_object());
	framed = rpc_encode(msg, &len);
	if (framed == NULL)
		return mino_make_error(err, MINO_E_INTERNAL, 0, "encoding %s", method);
	return client_write_all(c, framed, len, err);
}
