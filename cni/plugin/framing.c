/* The plugin's half of the framing owned by wire/cni-socket.ts (see framing.h). */
#define _POSIX_C_SOURCE 200809L
#include "framing.h"

#include <stdlib.h>
#include <string.h>

const char *const framing_env_names[] = {
	"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH",
};
const size_t framing_env_count = sizeof(framing_env_names) / sizeof(framing_env_names[0]);

const char *framing_env_with_newline(void)
{
	for (size_t i = 0; i < framing_env_count; i++) {
		const char *value = getenv(framing_env_names[i]);
		if (value && strchr(value, '\n'))
			return framing_env_names[i];
	}
	return NULL;
}

char *framing_request_head(size_t *len)
{
	size_t total = strlen(FRAMING_MAGIC) + 2; /* magic line and the closing blank line */
	for (size_t i = 0; i < framing_env_count; i++) {
		const char *value = getenv(framing_env_names[i]);
		if (value)
			total += strlen(framing_env_names[i]) + 1 + strlen(value) + 1;
	}
	char *head = malloc(total + 1);
	if (!head)
		return NULL;
	char *p = head;
	p = stpcpy(p, FRAMING_MAGIC "\n");
	for (size_t i = 0; i < framing_env_count; i++) {
		const char *value = getenv(framing_env_names[i]);
		if (!value)
			continue;
		p = stpcpy(p, framing_env_names[i]);
		*p++ = '=';
		p = stpcpy(p, value);
		*p++ = '\n';
	}
	*p++ = '\n';
	*p = '\0';
	*len = (size_t)(p - head);
	return head;
}

int framing_parse_answer(const char *buf, size_t len, int *exit_code, size_t *stdout_offset)
{
	int code = 0;
	size_t i = 0;
	while (i < len && i < 3 && buf[i] >= '0' && buf[i] <= '9')
		code = code * 10 + (buf[i++] - '0');
	if (i == 0 || i >= len || buf[i] != '\n' || code > 255)
		return -1;
	*exit_code = code;
	*stdout_offset = i + 1;
	return 0;
}
