/* Owns the conversation with the agent (see exchange.h). The socket is non-blocking and every
 * wait is a poll() against one monotonic deadline, so a stuck agent cannot hold the runtime
 * past timeoutSeconds; EINTR is retried everywhere and short sends are continued. */
#define _POSIX_C_SOURCE 200809L
#include "exchange.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum wait_result { WAIT_READY, WAIT_TIMEOUT, WAIT_ERROR };

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* POLLERR and POLLHUP count as ready: the next call on the socket reports what happened. */
static enum wait_result wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return WAIT_TIMEOUT;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return WAIT_READY;
		if (n < 0 && errno != EINTR)
			return WAIT_ERROR;
	}
}

static enum exchange_status connect_agent(int fd, const char *path, long long deadline, int *err)
{
	struct sockaddr_un addr;
	size_t len = strlen(path);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (len >= sizeof(addr.sun_path)) {
		*err = ENAMETOOLONG;
		return EXCHANGE_UNREACHABLE;
	}
	memcpy(addr.sun_path, path, len + 1);
	for (;;) {
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			return EXCHANGE_OK;
		if (errno == EAGAIN) {
			/* The agent's listen backlog is full: it is busy, not gone. Retry until the deadline. */
			struct timespec pause = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };
			if (now_ms() >= deadline)
				return EXCHANGE_TIMEOUT;
			nanosleep(&pause, NULL);
			continue;
		}
		if (errno != EINPROGRESS && errno != EINTR) {
			*err = errno;
			return EXCHANGE_UNREACHABLE;
		}
		/* The connection completes asynchronously; SO_ERROR tells how it ended. */
		enum wait_result w = wait_fd(fd, POLLOUT, deadline);
		if (w == WAIT_TIMEOUT)
			return EXCHANGE_TIMEOUT;
		int so_error = 0;
		socklen_t so_len = sizeof(so_error);
		if (w == WAIT_ERROR || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) < 0)
			so_error = errno;
		*err = so_error;
		return so_error == 0 ? EXCHANGE_OK : EXCHANGE_UNREACHABLE;
	}
}

/* EXCHANGE_CLOSED here means the agent stopped reading (EPIPE, ECONNRESET): it may still have
 * written an answer, so the caller goes on to read. */
static enum exchange_status send_all(int fd, const char *buf, size_t len, long long deadline, int *err)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			enum wait_result w = wait_fd(fd, POLLOUT, deadline);
			if (w == WAIT_TIMEOUT)
				return EXCHANGE_TIMEOUT;
			if (w == WAIT_READY)
				continue;
		}
		*err = errno;
		return errno == EPIPE || errno == ECONNRESET ? EXCHANGE_CLOSED : EXCHANGE_IO;
	}
	return EXCHANGE_OK;
}

/* Reads to EOF. ECONNRESET counts as EOF: the agent closed before reading all we sent, and
 * everything it wrote before closing is already queued on our side. */
static enum exchange_status recv_all(int fd, size_t max, long long deadline, struct exchange_result *out)
{
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap);
	if (!buf) {
		out->err = errno;
		return EXCHANGE_IO;
	}
	for (;;) {
		if (used == cap) {
			if (cap > max)
				break;
			size_t next = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *grown = realloc(buf, next);
			if (!grown) {
				out->err = errno;
				free(buf);
				return EXCHANGE_IO;
			}
			buf = grown;
			cap = next;
		}
		ssize_t n = recv(fd, buf + used, cap - used, 0);
		if (n > 0) {
			used += (size_t)n;
			continue;
		}
		if (n == 0 || errno == ECONNRESET)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			enum wait_result w = wait_fd(fd, POLLIN, deadline);
			if (w == WAIT_READY)
				continue;
			if (w == WAIT_TIMEOUT) {
				free(buf);
				return EXCHANGE_TIMEOUT;
			}
		}
		out->err = errno;
		free(buf);
		return EXCHANGE_IO;
	}
	if (used > max) {
		free(buf);
		return EXCHANGE_TOO_LARGE;
	}
	if (used == 0) {
		free(buf);
		return EXCHANGE_CLOSED;
	}
	out->answer = buf;
	out->answer_len = used;
	return EXCHANGE_OK;
}

void exchange_with_agent(const char *path, const char *head, size_t head_len, const char *body,
			 size_t body_len, int timeout_seconds, size_t max_answer,
			 struct exchange_result *out)
{
	long long deadline = now_ms() + (long long)timeout_seconds * 1000;
	memset(out, 0, sizeof(*out));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		out->err = errno;
		out->status = EXCHANGE_IO;
		return;
	}
	out->status = connect_agent(fd, path, deadline, &out->err);
	if (out->status == EXCHANGE_OK) {
		out->status = send_all(fd, head, head_len, deadline, &out->err);
		if (out->status == EXCHANGE_OK)
			out->status = send_all(fd, body, body_len, deadline, &out->err);
		if (out->status == EXCHANGE_OK || out->status == EXCHANGE_CLOSED) {
			shutdown(fd, SHUT_WR); /* the agent reads to EOF; ENOTCONN after a close is harmless */
			out->status = recv_all(fd, max_answer, deadline, out);
		}
	}
	close(fd);
}
