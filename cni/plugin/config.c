/* Owns reading the plugin's own keys from the network configuration (see config.h). Only the
 * top-level members count (json.c finds them); values are committed only when the whole document
 * is valid JSON, otherwise the defaults stay and the agent reports the broken configuration.
 * Duplicate keys: the last one wins, as in Go's encoding/json that runtimes use. */
#include "config.h"

#include <string.h>

#include "json.h"

/* What the top-level members said; applied only when the whole document parses. */
struct found {
	char version[CONFIG_VERSION_MAX];
	char socket[CONFIG_SOCKET_MAX];
	int timeout;
	const char *socket_invalid;
	const char *timeout_invalid;
};

static int is_plain_version(const char *v)
{
	if (*v == '\0')
		return 0;
	for (; *v; v++)
		if (!((*v >= '0' && *v <= '9') || (*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		      *v == '.' || *v == '-' || *v == '+'))
			return 0;
	return 1;
}

static int scan_version(struct json_cursor *s, struct found *f)
{
	char v[CONFIG_VERSION_MAX];
	struct json_decoded d;
	if (*s->p != '"')
		return json_value(s); /* not a string: the agent reports it */
	if (json_string(s, v, sizeof(v), &d) < 0)
		return -1;
	if (d.len < sizeof(v) && !d.has_nul && is_plain_version(v))
		memcpy(f->version, v, sizeof(v));
	return 0;
}

static int scan_socket(struct json_cursor *s, struct found *f)
{
	struct json_decoded d;
	if (*s->p != '"') {
		f->socket_invalid = "agentSocket must be a string (the path of the agent's unix socket)";
		return json_value(s);
	}
	if (json_string(s, f->socket, sizeof(f->socket), &d) < 0)
		return -1;
	f->socket_invalid = NULL;
	if (d.len == 0 || d.len >= sizeof(f->socket) || d.has_nul)
		f->socket_invalid = "agentSocket must be a non-empty path of at most 107 bytes";
	return 0;
}

static int scan_timeout(struct json_cursor *s, struct found *f)
{
	const char *start = s->p;
	if (!(*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))) {
		f->timeout_invalid = "timeoutSeconds must be an integer from 1 to 600";
		return json_value(s);
	}
	if (json_number(s) < 0)
		return -1;
	long v = 0;
	const char *q = start;
	while (q < s->p && *q >= '0' && *q <= '9' && v <= CONFIG_MAX_TIMEOUT)
		v = v * 10 + (*q++ - '0');
	int ok = q == s->p && v >= 1 && v <= CONFIG_MAX_TIMEOUT;
	f->timeout_invalid = ok ? NULL : "timeoutSeconds must be an integer from 1 to 600";
	if (ok)
		f->timeout = (int)v;
	return 0;
}

static int top_level_member(struct json_cursor *s, const char *key, void *ctx)
{
	struct found *f = ctx;
	if (s->p >= s->end)
		return -1;
	if (strcmp(key, "cniVersion") == 0)
		return scan_version(s, f);
	if (strcmp(key, "agentSocket") == 0)
		return scan_socket(s, f);
	if (strcmp(key, "timeoutSeconds") == 0)
		return scan_timeout(s, f);
	return json_value(s);
}

void config_scan(const char *json, size_t len, struct plugin_config *cfg)
{
	struct found f = { .version = "1.0.0", .socket = CONFIG_DEFAULT_SOCKET, .timeout = CONFIG_DEFAULT_TIMEOUT };
	int valid = json_scan_object(json, len, top_level_member, &f) == 0;

	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->cni_version, valid ? f.version : "1.0.0", valid ? sizeof(f.version) : sizeof("1.0.0"));
	memcpy(cfg->agent_socket, valid ? f.socket : CONFIG_DEFAULT_SOCKET,
	       valid ? sizeof(f.socket) : sizeof(CONFIG_DEFAULT_SOCKET));
	cfg->timeout_seconds = valid ? f.timeout : CONFIG_DEFAULT_TIMEOUT;
	cfg->invalid = !valid ? NULL : f.socket_invalid ? f.socket_invalid : f.timeout_invalid;
}
