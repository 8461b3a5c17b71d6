/* Mirrors the framing that wire/cni-socket.ts owns (the plugin's half of it): the request the
 * plugin sends to the agent and the answer it gets back. cni/plugin.test.ts runs this binary
 * against decodeCniRequest/encodeCniAnswer, so a drift between the two fails a test. */
#ifndef PALISADE_CNI_FRAMING_H
#define PALISADE_CNI_FRAMING_H

#include <stddef.h>

#define FRAMING_MAGIC "PALISADE-CNI 1"          /* CNI_SOCKET_MAGIC */
#define FRAMING_MAX_REQUEST (1u << 20)          /* MAX_CNI_REQUEST_BYTES */
#define FRAMING_MAX_ANSWER_STDOUT (4u << 20)    /* the most stdout the plugin relays */
#define FRAMING_MAX_ANSWER (FRAMING_MAX_ANSWER_STDOUT + 4) /* plus "255\n" */

/* The CNI_* variables forwarded, in wire order (CNI_ENV_NAMES). */
extern const char *const framing_env_names[];
extern const size_t framing_env_count;

/* The name of the first forwarded variable whose value holds a newline, or NULL. */
const char *framing_env_with_newline(void);

/* The request header for the current environment: magic, one NAME=VALUE line per set variable,
 * blank line. malloc'd; NULL when out of memory. */
char *framing_request_head(size_t *len);

/* Splits an answer "<exit code>\n<stdout>". Returns 0, or -1 when there is no exit code line
 * (1-3 digits, at most 255). */
int framing_parse_answer(const char *buf, size_t len, int *exit_code, size_t *stdout_offset);

#endif
