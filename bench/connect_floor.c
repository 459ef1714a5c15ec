/*
 * connect_floor PORT tcp|http PROBES_PER_SECOND WAKEUPS_PER_SECOND SECONDS
 *
 * What a probe costs with no daemon around it: new loopback connections to PORT (a
 * bench_listener in the same mode), PROBES_PER_SECOND of them in WAKEUPS_PER_SECOND evenly
 * spaced batches, each connected, (http) sent a GET and read, and closed, from one epoll loop.
 * Prints this process's CPU time per probe and in % of one core, and its voluntary context
 * switches. WAKEUPS_PER_SECOND = PROBES_PER_SECOND is one wake-up per probe (probes spread
 * evenly, the way pfd scheduled them before the 100 ms slot grid); fewer is the grid.
 *
 *   cc -O2 -o connect_floor bench/connect_floor.c && cc -O2 -o bench_listener
 * bench/bench_listener.c
 *   ./bench_listener 38111 http & ./connect_floor 38111 http 200 200 15; ./connect_floor 38111 http
 * 200 10 15
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kMaxBatch = 1024 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpuSeconds(const struct rusage* usage) {
  return (double)usage->ru_utime.tv_sec + (double)usage->ru_utime.tv_usec / 1e6 +
         (double)usage->ru_stime.tv_sec + (double)usage->ru_stime.tv_usec / 1e6;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s PORT tcp|http PROBES_PER_SECOND WAKEUPS_PER_SECOND SECONDS\n",
            argv[0]);
    return 2;
  }
  const int port = atoi(argv[1]);
  const int http = strcmp(argv[2], "http") == 0;
  const int rate = atoi(argv[3]);
  const int wakeups = atoi(argv[4]);
  const double seconds = atof(argv[5]);
  const int batch = rate / wakeups;
  if (port <= 0 || rate <= 0 || wakeups <= 0 || batch < 1 || batch > kMaxBatch || seconds <= 0) {
    fprintf(stderr, "%s: bad arguments\n", argv[0]);
    return 2;
  }
  const char request[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  struct sockaddr_in target = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int poller = epoll_create1(EPOLL_CLOEXEC);

  struct rusage before;
  getrusage(RUSAGE_SELF, &before);
  const double start = now();
  double next = start;
  long probes = 0;
  while (now() - start < seconds) {
    const double wait = next - now();
    if (wait > 0) {
      struct epoll_event unused;
      epoll_wait(poller, &unused, 1, (int)(wait * 1000));
    }
    next += 1.0 / wakeups;
    for (int i = 0; i < batch; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      connect(fd, (const struct sockaddr*)&target, sizeof target);
      struct epoll_event event = {.events = EPOLLOUT, .data.fd = fd};
      epoll_ctl(poller, EPOLL_CTL_ADD, fd, &event);
    }
    for (int pending = batch; pending > 0;) {
      struct epoll_event events[kMaxBatch];
      const int ready = epoll_wait(poller, events, kMaxBatch, 1000);
      if (ready <= 0) {
        fprintf(stderr, "no answer within 1 s: is a bench_listener on port %d?\n", port);
        return 1;
      }
      for (int k = 0; k < ready; ++k) {
        const int fd = events[k].data.fd;
        if (http && (events[k].events & EPOLLOUT) != 0) {
          send(fd, request, sizeof request - 1, MSG_NOSIGNAL);
          struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
          epoll_ctl(poller, EPOLL_CTL_MOD, fd, &event);
          continue;
        }
        if ((events[k].events & EPOLLIN) != 0) {
          char answer[4096];
          recv(fd, answer, sizeof answer, 0);
        }
        epoll_ctl(poller, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        --pending;
        ++probes;
      }
    }
  }
  struct rusage after;
  getrusage(RUSAGE_SELF, &after);
  const double elapsed = now() - start;
  const double cpu = cpuSeconds(&after) - cpuSeconds(&before);
  printf(
      "%s, %d probes/s in %d wake-ups/s: %ld probes, CPU %.2f %% of one core, %.1f us per probe, "
      "%ld voluntary context switches\n",
      http ? "http" : "tcp", rate, wakeups, probes, cpu / elapsed * 100, cpu / probes * 1e6,
      after.ru_nvcsw - before.ru_nvcsw);
  return 0;
}
