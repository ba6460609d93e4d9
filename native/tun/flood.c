/*
 * flood: the packet source for scripts/bench-tun.mjs. Sends COUNT UDP
 * datagrams of SIZE bytes to DST:PORT as fast as sendmmsg(2) allows, 64 per
 * call, each carrying a 32-bit big-endian sequence number, and prints the
 * send rate to stderr. Compiled at benchmark time with the system C compiler;
 * never part of the installed package's runtime.
 *
 * usage: flood DST COUNT SIZE [PORT]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64
#define MAX_SIZE 2000

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: flood DST COUNT SIZE [PORT]\n");
    return 2;
  }
  struct sockaddr_in dst;
  memset(&dst, 0, sizeof dst);
  dst.sin_family = AF_INET;
  dst.sin_port = htons(argc > 4 ? (uint16_t)atoi(argv[4]) : 9);
  if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
    fprintf(stderr, "flood: bad IPv4 address %s\n", argv[1]);
    return 2;
  }
  const long total = atol(argv[2]);
  const int size = atoi(argv[3]);
  if (total <= 0 || size < 4 || size > MAX_SIZE) {
    fprintf(stderr, "flood: COUNT must be > 0 and SIZE in 4..%d\n", MAX_SIZE);
    return 2;
  }
  const int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) {
    perror("flood: socket");
    return 1;
  }
  static char bufs[BATCH][MAX_SIZE];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = (size_t)size;
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &dst;
    msgs[i].msg_hdr.msg_namelen = sizeof dst;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long sent = 0;
  while (sent < total) {
    const int n = total - sent < BATCH ? (int)(total - sent) : BATCH;
    for (int i = 0; i < n; i++) {
      const uint32_t seq = htonl((uint32_t)(sent + i));
      memcpy(bufs[i], &seq, sizeof seq);
    }
    const int r = sendmmsg(s, msgs, (unsigned)n, 0);
    if (r > 0) sent += r;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  fprintf(stderr, "flood: sent %ld in %.3fs = %.0f pps\n", sent, dt, (double)sent / dt);
  return 0;
}
