/* Owns a small validating JSON parser (RFC 8259 grammar: strings with every escape, numbers,
 * literals, nesting) that offers the members of a top-level object to a callback. It exists so
 * the plugin finds top-level keys correctly, never one nested in prevResult or inside a string. */
#ifndef PALISADE_CNI_JSON_H
#define PALISADE_CNI_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH 256 /* deeper documents are invalid instead of exhausting the stack */
#define JSON_KEY_MAX 32    /* keys are decoded into this much; longer ones are offered as "" */

struct json_cursor {
	const char *p;
	const char *end;
	int depth;
};

/* A decoded string: its full length, and whether it held a NUL (\u0000). */
struct json_decoded {
	size_t len;
	int has_nul;
};

/* Called for each member of the top-level object with the cursor at its value: it must consume
 * the value (json_value when it does not care) and return 0, or -1 for invalid JSON. */
typedef int (*json_member_fn)(struct json_cursor *c, const char *key, void *ctx);

/* 0 when json is exactly one object (whitespace around it allowed), every top-level member
 * offered to fn; -1 when it is not valid JSON or not an object. */
int json_scan_object(const char *json, size_t len, json_member_fn fn, void *ctx);

/* Consumes any value. */
int json_value(struct json_cursor *c);

/* Consumes the string at the cursor (its opening quote) and decodes it into out (cap bytes,
 * NUL-terminated when out is given; a longer string is cut there, d->len tells its length). */
int json_string(struct json_cursor *c, char *out, size_t cap, struct json_decoded *d);

/* Consumes the number at the cursor. */
int json_number(struct json_cursor *c);

#endif
