/* Owns the JSON scan of the network configuration. It is a full validating recursive-descent
 * pass (strings with escapes, nesting, numbers, literals) so that only a *top-level* key counts:
 * an "agentSocket" inside prevResult, inside another object or inside a string value is not
 * taken. Values are committed only when the whole document is valid JSON; otherwise the defaults
 * stay and the agent reports the broken configuration. Duplicate keys: the last one wins, as in
 * Go's encoding/json that runtimes use. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 256 /* deeper documents are treated as invalid instead of exhausting the stack */
#define KEY_MAX 32    /* longest key we compare; longer keys are never ours */

struct scanner {
	const char *p;
	const char *end;
	int depth;
};

/* What the top-level members said; applied only when the whole document parses. */
struct found {
	char version[CONFIG_VERSION_MAX];
	char socket[CONFIG_SOCKET_MAX];
	int timeout;
	const char *socket_invalid;
	const char *timeout_invalid;
};

/* A decoded string: its full length, and whether it held a NUL or did not fit in the buffer. */
struct decoded {
	size_t len;
	int has_nul;
};

static int parse_value(struct scanner *s);

static void skip_ws(struct scanner *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the 4 hex digits after "\u"; -1 when they are not there. */
static long read_hex4(struct scanner *s)
{
	long v = 0;
	if (s->end - s->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = hex_value(s->p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	s->p += 4;
	return v;
}

static void put_byte(char *out, size_t cap, struct decoded *d, unsigned char c)
{
	if (c == 0)
		d->has_nul = 1;
	if (out && d->len + 1 < cap)
		out[d->len] = (char)c;
	d->len++;
}

static void put_utf8(char *out, size_t cap, struct decoded *d, uint32_t cp)
{
	if (cp < 0x80) {
		put_byte(out, cap, d, (unsigned char)cp);
	} else if (cp < 0x800) {
		put_byte(out, cap, d, (unsigned char)(0xC0 | (cp >> 6)));
		put_byte(out, cap, d, (unsigned char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		put_byte(out, cap, d, (unsigned char)(0xE0 | (cp >> 12)));
		put_byte(out, cap, d, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
		put_byte(out, cap, d, (unsigned char)(0x80 | (cp & 0x3F)));
	} else {
		put_byte(out, cap, d, (unsigned char)(0xF0 | (cp >> 18)));
		put_byte(out, cap, d, (unsigned char)(0x80 | ((cp >> 12) & 0x3F)));
		put_byte(out, cap, d, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
		put_byte(out, cap, d, (unsigned char)(0x80 | (cp & 0x3F)));
	}
}

/* A \uXXXX escape (the "\u" already consumed), joining a surrogate pair; a lone surrogate
 * becomes U+FFFD as in Go. */
static int parse_unicode_escape(struct scanner *s, char *out, size_t cap, struct decoded *d)
{
	long cp = read_hex4(s);
	if (cp < 0)
		return -1;
	if (cp >= 0xD800 && cp <= 0xDBFF && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
		struct scanner look = { s->p + 2, s->end, s->depth };
		long low = read_hex4(&look);
		if (low >= 0xDC00 && low <= 0xDFFF) {
			s->p = look.p;
			put_utf8(out, cap, d, 0x10000 + (((uint32_t)cp - 0xD800) << 10) + ((uint32_t)low - 0xDC00));
			return 0;
		}
	}
	if (cp >= 0xD800 && cp <= 0xDFFF)
		cp = 0xFFFD;
	put_utf8(out, cap, d, (uint32_t)cp);
	return 0;
}

/* Parses the string at s->p (its opening quote) and decodes it into out (cap bytes, always
 * NUL-terminated when out is given; a longer string is cut there but d->len tells its length). */
static int parse_string(struct scanner *s, char *out, size_t cap, struct decoded *d)
{
	memset(d, 0, sizeof(*d));
	s->p++; /* opening quote */
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p++;
		if (c == '"') {
			if (out && cap > 0)
				out[d->len < cap ? d->len : cap - 1] = '\0';
			return 0;
		}
		if (c < 0x20)
			return -1; /* raw control characters are not allowed inside JSON strings */
		if (c != '\\') {
			put_byte(out, cap, d, c);
			continue;
		}
		if (s->p >= s->end)
			return -1;
		char e = *s->p++;
		switch (e) {
		case '"': put_byte(out, cap, d, '"'); break;
		case '\\': put_byte(out, cap, d, '\\'); break;
		case '/': put_byte(out, cap, d, '/'); break;
		case 'b': put_byte(out, cap, d, '\b'); break;
		case 'f': put_byte(out, cap, d, '\f'); break;
		case 'n': put_byte(out, cap, d, '\n'); break;
		case 'r': put_byte(out, cap, d, '\r'); break;
		case 't': put_byte(out, cap, d, '\t'); break;
		case 'u':
			if (parse_unicode_escape(s, out, cap, d) < 0)
				return -1;
			break;
		default: return -1;
		}
	}
	return -1; /* unterminated */
}

static int skip_digits(struct scanner *s)
{
	const char *start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(struct scanner *s)
{
	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (skip_digits(s) < 0)
		return -1;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (skip_digits(s) < 0)
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (skip_digits(s) < 0)
			return -1;
	}
	return 0;
}

static int parse_literal(struct scanner *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

/* Parses an object (or, with close ']', an array); at depth 1, members are offered to `member`. */
static int parse_container(struct scanner *s, char close,
			   int (*member)(struct scanner *, const char *, struct found *), struct found *f)
{
	if (++s->depth > MAX_DEPTH)
		return -1;
	s->p++; /* '{' or '[' */
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			char key[KEY_MAX];
			struct decoded d;
			if (s->p >= s->end || *s->p != '"' || parse_string(s, key, sizeof(key), &d) < 0)
				return -1;
			if (d.len >= sizeof(key) || d.has_nul)
				key[0] = '\0'; /* too long or odd to be one of ours */
			skip_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return -1;
			skip_ws(s);
			if (member ? member(s, key, f) < 0 : parse_value(s) < 0)
				return -1;
		} else if (parse_value(s) < 0) {
			return -1;
		}
		skip_ws(s);
		if (s->p >= s->end)
			return -1;
		char c = *s->p++;
		if (c == close)
			break;
		if (c != ',')
			return -1;
		skip_ws(s);
	}
	s->depth--;
	return 0;
}

static int parse_value(struct scanner *s)
{
	struct decoded d;
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{': return parse_container(s, '}', NULL, NULL);
	case '[': return parse_container(s, ']', NULL, NULL);
	case '"': return parse_string(s, NULL, 0, &d);
	case 't': return parse_literal(s, "true");
	case 'f': return parse_literal(s, "false");
	case 'n': return parse_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return parse_number(s);
		return -1;
	}
}

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

static int scan_version(struct scanner *s, struct found *f)
{
	char v[CONFIG_VERSION_MAX];
	struct decoded d;
	if (*s->p != '"')
		return parse_value(s); /* not a string: the agent reports it */
	if (parse_string(s, v, sizeof(v), &d) < 0)
		return -1;
	if (d.len < sizeof(v) && !d.has_nul && is_plain_version(v))
		memcpy(f->version, v, sizeof(v));
	return 0;
}

static int scan_socket(struct scanner *s, struct found *f)
{
	struct decoded d;
	if (*s->p != '"') {
		f->socket_invalid = "agentSocket must be a string (the path of the agent's unix socket)";
		return parse_value(s);
	}
	if (parse_string(s, f->socket, sizeof(f->socket), &d) < 0)
		return -1;
	f->socket_invalid = NULL;
	if (d.len == 0 || d.len >= sizeof(f->socket) || d.has_nul)
		f->socket_invalid = "agentSocket must be a non-empty path of at most 107 bytes";
	return 0;
}

static int scan_timeout(struct scanner *s, struct found *f)
{
	const char *start = s->p;
	if (!(*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))) {
		f->timeout_invalid = "timeoutSeconds must be an integer from 1 to 600";
		return parse_value(s);
	}
	if (parse_number(s) < 0)
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

static int top_level_member(struct scanner *s, const char *key, struct found *f)
{
	if (s->p >= s->end)
		return -1;
	if (strcmp(key, "cniVersion") == 0)
		return scan_version(s, f);
	if (strcmp(key, "agentSocket") == 0)
		return scan_socket(s, f);
	if (strcmp(key, "timeoutSeconds") == 0)
		return scan_timeout(s, f);
	return parse_value(s);
}

void config_scan(const char *json, size_t len, struct plugin_config *cfg)
{
	struct found f = { .version = "1.0.0", .socket = CONFIG_DEFAULT_SOCKET, .timeout = CONFIG_DEFAULT_TIMEOUT };
	struct scanner s = { json, json + len, 0 };

	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->cni_version, f.version, sizeof(f.version));
	memcpy(cfg->agent_socket, f.socket, sizeof(f.socket));
	cfg->timeout_seconds = f.timeout;

	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{' || parse_container(&s, '}', top_level_member, &f) < 0)
		return;
	skip_ws(&s);
	if (s.p != s.end)
		return; /* trailing bytes: not one JSON document */
	memcpy(cfg->cni_version, f.version, sizeof(f.version));
	memcpy(cfg->agent_socket, f.socket, sizeof(f.socket));
	cfg->timeout_seconds = f.timeout;
	cfg->invalid = f.socket_invalid ? f.socket_invalid : f.timeout_invalid;
}
