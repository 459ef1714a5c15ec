/*
 * bench_listener PORT MODE [RECORD_FILE]
 *
 * The child of one forward in the daemon benchmarks: 200 of these run at once, so it is a few
 * kilobytes of C rather than a Python process. It listens on 127.0.0.1:PORT and, per MODE:
 *   tcp   accepts and closes (pfd's port check and tcpSocket probes);
 *   http  answers every request "200 OK" and closes (httpGet probes);
 *   hang  accepts and never answers, until the client gives up.
 * With RECORD_FILE it appends one line per probe, stamped with CLOCK_MONOTONIC (the same clock
 * as Python's time.monotonic(), so the bench script can compare them):
 *   tcp, http   "probe SECONDS"            arrival of a connection (http: one that sent a request)
 *   hang        "hang ACCEPTED CLOSED"     arrival, and when the client hung up
 * Each line is one write(2) to an O_APPEND file, so nothing is lost when pfd SIGTERMs us.
 * The bench script compiles it: cc -O2 -o bench_listener bench_listener.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kMaxConnections = 64, kRequestBytes = 4096 };
enum Mode { kTcp, kHttp, kHang };

struct Connection {
  int fd;
  double accepted;
  size_t received;
  char request[kRequestBytes];
};

static int record_fd = -1;

static double now(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return (double)time.tv_sec + (double)time.tv_nsec / 1e9;
}

static void record(const char* line) {
  if (record_fd >= 0 && write(record_fd, line, strlen(line)) < 0) {
    perror("bench_listener: cannot write the record file");
  }
}

static int listenOn(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(fd, (struct sockaddr*)&address, sizeof(address)) != 0 || listen(fd, 128) != 0) {
    fprintf(stderr, "bench_listener: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
    exit(1);
  }
  return fd;
}

/* Returns 1 when the connection is finished and must be closed. */
static int onReadable(struct Connection* connection, enum Mode mode) {
  char line[128];
  size_t room = sizeof(connection->request) - 1 - connection->received;
  ssize_t got = read(connection->fd, connection->request + connection->received, room);
  if (got <= 0) {
    if (mode == kHang) {
      snprintf(line, sizeof(line), "hang %.6f %.6f\n", connection->accepted, now());
      record(line);
    }
    return 1;
  }
  if (mode == kHang) {
    return 0;  // read and ignore: the point is never to answer
  }
  connection->received += (size_t)got;
  connection->request[connection->received] = '\0';
  if (strstr(connection->request, "\r\n\r\n") == NULL && room > (size_t)got) {
    return 0;
  }
  static const char kAnswer[] =
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
  if (write(connection->fd, kAnswer, sizeof(kAnswer) - 1) < 0) {
    return 1;
  }
  snprintf(line, sizeof(line), "probe %.6f\n", connection->accepted);
  record(line);
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench_listener PORT tcp|http|hang [RECORD_FILE]\n");
    return 2;
  }
  const int port = atoi(argv[1]);
  enum Mode mode = strcmp(argv[2], "http") == 0   ? kHttp
                   : strcmp(argv[2], "hang") == 0 ? kHang
                                                  : kTcp;
  if (argc > 3) {
    record_fd = open(argv[3], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (record_fd < 0) {
      fprintf(stderr, "bench_listener: cannot open %s: %s\n", argv[3], strerror(errno));
      return 1;
    }
  }
  const int listener = listenOn(port);
  static struct Connection connections[kMaxConnections];
  struct pollfd fds[kMaxConnections + 1];
  int count = 0;
  for (;;) {
    fds[0] = (struct pollfd){.fd = listener, .events = POLLIN};
    for (int i = 0; i < count; i++) {
      fds[i + 1] = (struct pollfd){.fd = connections[i].fd, .events = POLLIN};
    }
    if (poll(fds, (nfds_t)count + 1, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      perror("bench_listener: poll");
      return 1;
    }
    /* Connections first, backwards, so that removing one does not disturb the others' indexes. */
    for (int i = count - 1; i >= 0; i--) {
      if (fds[i + 1].revents != 0 && onReadable(&connections[i], mode)) {
        close(connections[i].fd);
        connections[i] = connections[--count];
      }
    }
    if (fds[0].revents & POLLIN) {
      int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
      if (fd < 0) {
        continue;
      }
      const double accepted = now();
      if (mode == kTcp || count == kMaxConnections) {
        if (mode == kTcp) {
          char line[64];
          snprintf(line, sizeof(line), "probe %.6f\n", accepted);
          record(line);
        }
        close(fd);
        continue;
      }
      connections[count].fd = fd;
      connections[count].accepted = accepted;
      connections[count].received = 0;
      count++;
    }
  }
}
