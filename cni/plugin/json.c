/* Owns the JSON grammar for the plugin (see json.h). Lone UTF-16 surrogates in \u escapes
 * become U+FFFD, as in Go's encoding/json that runtimes use. */
#include "json.h"

#include <stdint.h>
#include <string.h>

static void skip_ws(struct json_cursor *s)
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
static long read_hex4(struct json_cursor *s)
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

static void put_byte(char *out, size_t cap, struct json_decoded *d, unsigned char c)
{
	if (c == 0)
		d->has_nul = 1;
	if (out && d->len + 1 < cap)
		out[d->len] = (char)c;
	d->len++;
}

static void put_utf8(char *out, size_t cap, struct json_decoded *d, uint32_t cp)
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
static int parse_unicode_escape(struct json_cursor *s, char *out, size_t cap, struct json_decoded *d)
{
	long cp = read_hex4(s);
	if (cp < 0)
		return -1;
	if (cp >= 0xD800 && cp <= 0xDBFF && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
		struct json_cursor look = { s->p + 2, s->end, s->depth };
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
int json_string(struct json_cursor *s, char *out, size_t cap, struct json_decoded *d)
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

static int skip_digits(struct json_cursor *s)
{
	const char *start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
int json_number(struct json_cursor *s)
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

static int parse_literal(struct json_cursor *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

/* Consumes an object (or, with close ']', an array); an object's members go to `member` when
 * one is given (the top-level object), else their values are skipped. */
static int parse_container(struct json_cursor *s, char close, json_member_fn member, void *ctx)
{
	if (++s->depth > JSON_MAX_DEPTH)
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
			char key[JSON_KEY_MAX];
			struct json_decoded d;
			if (s->p >= s->end || *s->p != '"' || json_string(s, key, sizeof(key), &d) < 0)
				return -1;
			if (d.len >= sizeof(key) || d.has_nul)
				key[0] = '\0'; /* too long or odd to be one of ours */
			skip_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return -1;
			skip_ws(s);
			if (member ? member(s, key, ctx) < 0 : json_value(s) < 0)
				return -1;
		} else if (json_value(s) < 0) {
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

int json_value(struct json_cursor *s)
{
	struct json_decoded d;
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{': return parse_container(s, '}', NULL, NULL);
	case '[': return parse_container(s, ']', NULL, NULL);
	case '"': return json_string(s, NULL, 0, &d);
	case 't': return parse_literal(s, "true");
	case 'f': return parse_literal(s, "false");
	case 'n': return parse_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return json_number(s);
		return -1;
	}
}

int json_scan_object(const char *json, size_t len, json_member_fn fn, void *ctx)
{
	struct json_cursor c = { json, json + len, 0 };
	skip_ws(&c);
	if (c.p >= c.end || *c.p != '{' || parse_container(&c, '}', fn, ctx) < 0)
		return -1;
	skip_ws(&c);
	return c.p == c.end ? 0 : -1; /* trailing bytes: not one JSON document */
}
