/* The `palisade` CNI plugin: a chained plugin (spec 1.0.0, 0.3.x and 0.4.0 configurations) that
 * runs after an interface plugin such as bridge + host-local. It does no CNI work itself: it
 * forwards its CNI_* environment and stdin to the node agent's unix socket (framing owned by
 * wire/cni-socket.ts) and relays the agent's stdout and exit code. It is exec'd once per pod,
 * so it is plain C with libc only and starts in about a millisecond.
 *
 * Only VERSION is answered here, and the errors of not reaching the agent:
 *   ADD, CHECK (and anything else): code 11 "try again later", the runtime retries;
 *   DEL, GC: success with one line on stderr, because a DEL that fails forever blocks pod
 *            removal and the agent garbage-collects what is left when it is back;
 *   STATUS: code 50 "plugin not available".
 * "Not reaching" covers: connect failing, the agent closing without a byte of answer (it went
 * away mid-request, e.g. a restart) and the timeoutSeconds deadline. A malformed or oversized
 * answer, or a failing read or write, is code 5 (I/O failure) for every command. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "exchange.h"
#include "framing.h"
#include "io.h"

/* `palisade cni install|uninstall` (cli/cni.ts) looks for this string to recognise its binary. */
__attribute__((used)) const char palisade_cni_marker[] = "palisade.dev/cni-plugin: forwards CNI to the palisade agent";

#define CNI_ERR_INVALID_ENV 4
#define CNI_ERR_IO 5
#define CNI_ERR_INVALID_CONFIG 7
#define CNI_ERR_TRY_AGAIN 11
#define CNI_ERR_NOT_AVAILABLE 50

static const char version_answer[] =
	"{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\"]}\n";

/* A fixed buffer that is appended to and never overflows: output past its end is cut. */
struct text {
	char buf[8192];
	size_t len;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	size_t room = sizeof(t->buf) - 1 - t->len;
	if (n > room)
		n = room;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

#define TEXT_LITERAL(t, s) text_add((t), (s), sizeof(s) - 1)

/* Appends s as the inside of a JSON string. */
static void text_add_json(struct text *t, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };
			text_add(t, esc, 2);
		} else if (*p < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
			text_add(t, esc, 6);
		} else {
			text_add(t, (const char *)p, 1);
		}
	}
}

/* Writes the CNI error object on stdout and returns exit code 1. */
static int cni_error(const char *cni_version, int code, const char *msg, const char *fmt, ...)
{
	char details[1024], number[16];
	struct text out = { .len = 0 };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(details, sizeof(details), fmt, ap);
	va_end(ap);
	snprintf(number, sizeof(number), "%d", code);
	TEXT_LITERAL(&out, "{\"cniVersion\":\"");
	text_add_json(&out, cni_version);
	TEXT_LITERAL(&out, "\",\"code\":");
	text_add(&out, number, strlen(number));
	TEXT_LITERAL(&out, ",\"msg\":\"");
	text_add_json(&out, msg);
	TEXT_LITERAL(&out, "\",\"details\":\"");
	text_add_json(&out, details);
	TEXT_LITERAL(&out, "\"}\n");
	if (io_write_all(STDOUT_FILENO, out.buf, out.len) < 0)
		fprintf(stderr, "palisade: writing the error to stdout: %s\n", strerror(errno));
	return 1;
}

/* The agent could not be reached, went away without answering, or did not answer in time. */
static int agent_unavailable(const char *command, const struct plugin_config *cfg,
			     const struct exchange_result *r)
{
	char why[256];
	const char *path = cfg->agent_socket;
	if (r->status == EXCHANGE_TIMEOUT)
		snprintf(why, sizeof(why), "no answer within %d s (timeoutSeconds)", cfg->timeout_seconds);
	else if (r->status == EXCHANGE_CLOSED)
		snprintf(why, sizeof(why), "the agent closed the connection without an answer");
	else
		snprintf(why, sizeof(why), "connect: %s", strerror(r->err));

	if (strcmp(command, "DEL") == 0 || strcmp(command, "GC") == 0) {
		fprintf(stderr,
			"palisade: %s succeeds without the agent at %s (%s); the agent's garbage collection "
			"removes what is left\n",
			command, path, why);
		return 0;
	}
	if (strcmp(command, "STATUS") == 0)
		return cni_error(cfg->cni_version, CNI_ERR_NOT_AVAILABLE, "plugin not available",
				 "the palisade agent is not reachable at %s: %s", path, why);
	if (r->status == EXCHANGE_TIMEOUT)
		return cni_error(cfg->cni_version, CNI_ERR_TRY_AGAIN, "the palisade agent did not answer in time",
				 "%s: %s; ADD waits until the pod's policy is enforced, raise timeoutSeconds (1-600) "
				 "if that takes longer",
				 path, why);
	return cni_error(cfg->cni_version, CNI_ERR_TRY_AGAIN, "the palisade agent is not running or not reachable",
			 "%s: %s; start the agent with its CNI socket (palisade agent --cni-socket %s) or set "
			 "agentSocket in the network configuration",
			 path, why, path);
}

static int answer_too_large(const struct plugin_config *cfg)
{
	return cni_error(cfg->cni_version, CNI_ERR_IO, "answer from the palisade agent too large",
			 "%s: more than 4 MiB of stdout", cfg->agent_socket);
}

/* Relays the agent's answer: its stdout bytes to our stdout, its exit code as ours. */
static int relay_answer(const struct plugin_config *cfg, const struct exchange_result *r)
{
	int exit_code;
	size_t offset;
	if (framing_parse_answer(r->answer, r->answer_len, &exit_code, &offset) < 0)
		return cni_error(cfg->cni_version, CNI_ERR_IO, "malformed answer from the palisade agent",
				 "%s: the answer does not start with an exit code line", cfg->agent_socket);
	if (r->answer_len - offset > FRAMING_MAX_ANSWER_STDOUT)
		return answer_too_large(cfg);
	if (io_write_all(STDOUT_FILENO, r->answer + offset, r->answer_len - offset) < 0) {
		fprintf(stderr, "palisade: writing the agent's answer to stdout: %s\n", strerror(errno));
		return 1;
	}
	return exit_code;
}

static int forward(const char *command, const struct plugin_config *cfg, const char *config, size_t config_len)
{
	size_t head_len;
	char *head = framing_request_head(&head_len);
	if (!head)
		return cni_error(cfg->cni_version, CNI_ERR_IO, "out of memory", "building the request");
	if (head_len + config_len > FRAMING_MAX_REQUEST) {
		free(head);
		return cni_error(cfg->cni_version, CNI_ERR_INVALID_CONFIG, "network configuration too large",
				 "the configuration (%zu bytes) and CNI_* environment exceed 1 MiB", config_len);
	}
	struct exchange_result r;
	exchange_with_agent(cfg->agent_socket, head, head_len, config, config_len, cfg->timeout_seconds,
			    FRAMING_MAX_ANSWER, &r);
	free(head);
	int exit_code;
	switch (r.status) {
	case EXCHANGE_OK:
		exit_code = relay_answer(cfg, &r);
		free(r.answer);
		return exit_code;
	case EXCHANGE_UNREACHABLE:
	case EXCHANGE_CLOSED:
	case EXCHANGE_TIMEOUT:
		return agent_unavailable(command, cfg, &r);
	case EXCHANGE_TOO_LARGE:
		return answer_too_large(cfg);
	case EXCHANGE_IO:
	default:
		return cni_error(cfg->cni_version, CNI_ERR_IO, "I/O failure talking to the palisade agent",
				 "%s: %s", cfg->agent_socket, strerror(r.err));
	}
}

int main(void)
{
	/* A closed stdout must give EPIPE on write, not kill us before we exit with a code. */
	signal(SIGPIPE, SIG_IGN);

	const char *command = getenv("CNI_COMMAND");
	if (command && strcmp(command, "VERSION") == 0)
		return io_write_all(STDOUT_FILENO, version_answer, sizeof(version_answer) - 1) < 0 ? 1 : 0;

	char *config = NULL;
	size_t config_len = 0;
	/* A terminal on stdin means someone ran the plugin by hand: no configuration, no hang. */
	if (isatty(STDIN_FILENO)) {
		config = calloc(1, 1);
	} else if (io_read_bounded(STDIN_FILENO, FRAMING_MAX_REQUEST, &config, &config_len) < 0) {
		if (errno == EFBIG)
			return cni_error("1.0.0", CNI_ERR_INVALID_CONFIG, "network configuration too large",
					 "more than 1 MiB on stdin");
		return cni_error("1.0.0", CNI_ERR_IO, "cannot read the network configuration", "stdin: %s",
				 strerror(errno));
	}
	if (!config)
		return cni_error("1.0.0", CNI_ERR_IO, "out of memory", "reading stdin");

	struct plugin_config cfg;
	config_scan(config, config_len, &cfg);
	int exit_code;
	const char *bad_env = framing_env_with_newline();
	if (!command || *command == '\0')
		exit_code = cni_error(cfg.cni_version, CNI_ERR_INVALID_ENV, "CNI_COMMAND is not set",
				      "the runtime must set CNI_COMMAND (ADD, DEL, CHECK, GC, STATUS or VERSION)");
	else if (bad_env)
		exit_code = cni_error(cfg.cni_version, CNI_ERR_INVALID_ENV, "invalid CNI environment",
				      "%s holds a newline", bad_env);
	else if (cfg.invalid)
		exit_code = cni_error(cfg.cni_version, CNI_ERR_INVALID_CONFIG, "invalid network configuration",
				      "%s", cfg.invalid);
	else
		exit_code = forward(command, &cfg, config, config_len);
	free(config);
	return exit_code;
}
