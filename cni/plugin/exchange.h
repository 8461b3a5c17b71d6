/* Owns the conversation with the agent over its unix socket: connect, send the request, half
 * close, read the answer to EOF; all of it bounded by one deadline. */
#ifndef PALISADE_CNI_EXCHANGE_H
#define PALISADE_CNI_EXCHANGE_H

#include <stddef.h>

enum exchange_status {
	EXCHANGE_OK,
	EXCHANGE_UNREACHABLE, /* connect failed: no socket, refused, no permission (err says which) */
	EXCHANGE_CLOSED,      /* the agent closed the connection without a byte of answer */
	EXCHANGE_TIMEOUT,     /* the deadline passed */
	EXCHANGE_IO,          /* a read or write failed after part of an answer (err says which) */
	EXCHANGE_TOO_LARGE,   /* the answer exceeds max_answer bytes */
};

struct exchange_result {
	enum exchange_status status;
	int err;      /* errno of the failing call, 0 when none */
	char *answer; /* malloc'd answer bytes (EXCHANGE_OK only) */
	size_t answer_len;
};

/* Sends head then body to the socket at path and reads the answer, within timeout_seconds. */
void exchange_with_agent(const char *path, const char *head, size_t head_len, const char *body,
			 size_t body_len, int timeout_seconds, size_t max_answer,
			 struct exchange_result *out);

#endif
