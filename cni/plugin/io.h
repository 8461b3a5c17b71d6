/* Owns whole-buffer reads and writes on blocking file descriptors (stdin, stdout, stderr):
 * retried on EINTR, short writes continued, reads bounded. */
#ifndef PALISADE_CNI_IO_H
#define PALISADE_CNI_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Reads fd to EOF into a malloc'd buffer (NUL-terminated, not counted in *len). Returns 0, or
 * -1 with errno set; errno EFBIG when more than max bytes arrive. */
int io_read_bounded(int fd, size_t max, char **buf, size_t *len);

/* Writes all len bytes; 0, or -1 with errno set. */
int io_write_all(int fd, const void *buf, size_t len);

#endif
