// Request/response load for bench/datapath/traffic.ts (netperf TCP_RR / TCP_CRR style, built by
// the benchmark with cc): one byte each way per transaction.
//   rr server PORT            answers every connection: read 1 byte, write it back, until EOF
//   rr rr IP PORT SECONDS     one connection, transactions back to back: prints "<tps> <mean us>"
//   rr crr IP PORT SECONDS    a new connection per transaction (connect, 1 byte each way, close)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int dial(const struct sockaddr_in *a)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (const struct sockaddr *)a, sizeof(*a)) != 0) {
		perror("connect");
		exit(1);
	}
	return s;
}

static void transact(int s)
{
	char b = 'x';
	if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1) {
		perror("transaction");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "server") == 0) {
		int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
		if (bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 128) != 0) {
			perror("listen");
			return 1;
		}
		printf("ready\n");
		fflush(stdout);
		for (;;) {
			int c = accept(l, 0, 0);
			if (c < 0)
				continue;
			setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			char b;
			while (read(c, &b, 1) == 1 && write(c, &b, 1) == 1)
				;
			close(c);
		}
	}
	if (argc != 5) {
		fprintf(stderr, "usage: rr server PORT | rr rr|crr IP PORT SECONDS\n");
		return 2;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[3]))};
	inet_pton(AF_INET, argv[2], &a.sin_addr);
	double seconds = atof(argv[4]), start = now(), end = start + seconds;
	long n = 0;
	if (strcmp(argv[1], "rr") == 0) {
		int s = dial(&a);
		while (now() < end) {
			transact(s);
			n++;
		}
		close(s);
	} else {
		while (now() < end) {
			int s = dial(&a);
			transact(s);
			close(s);
			n++;
		}
	}
	double took = now() - start;
	printf("%.1f %.2f\n", n / took, took / n * 1e6);
	return 0;
}
