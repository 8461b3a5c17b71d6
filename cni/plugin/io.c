/* Owns whole-buffer reads and writes on blocking file descriptors. */
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int io_read_bounded(int fd, size_t max, char **buf, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *data = malloc(cap + 1);
	if (!data)
		return -1;
	for (;;) {
		if (used == cap) {
			if (cap > max) {
				free(data);
				errno = EFBIG;
				return -1;
			}
			/* Grow, but never past max + 1 so one extra byte still tells "too large". */
			size_t next = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *grown = realloc(data, next + 1);
			if (!grown) {
				free(data);
				return -1;
			}
			data = grown;
			cap = next;
		}
		ssize_t n = read(fd, data + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			free(data);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max) {
		free(data);
		errno = EFBIG;
		return -1;
	}
	data[used] = '\0';
	*buf = data;
	*len = used;
	return 0;
}

int io_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
