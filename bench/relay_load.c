/*
 * pfd-relay-load: both ends of a relay hop, for bench/relay.py. Plain C and blocking sockets, so
 * the load costs as little as possible and measures the hop, not itself.
 *
 *   pfd-relay-load serve                       listen on 127.0.0.1, port 0; print the port; serve
 *                                              every connection on its own thread, forever
 *   pfd-relay-load upload PORT BYTES           send BYTES, half-close, wait for the server's count
 *   pfd-relay-load download PORT BYTES         receive BYTES that the server sends, up to its FIN
 *   pfd-relay-load latency PORT COUNT SIZE [FILE]
 *                                              COUNT request/response round trips of SIZE bytes
 *                                              (after COUNT/10 unmeasured ones), one at a time;
 *                                              FILE gets every sample (µs, one a line)
 *
 * A client's first 16 bytes say what it wants: 'U', 'D' or 'E' and, from byte 8, a uint64 (the
 * byte count or the message size). The clients print one line of key=value pairs:
 *   upload/download: seconds=S bytes=N
 *   latency:         count=N p50_us=.. p90_us=.. p99_us=.. max_us=.. mean_us=..
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kChunk = 1 << 20, kHeader = 16 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

__attribute__((noreturn)) static void die(const char* what) {
  fprintf(stderr, "pfd-relay-load: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int sendAll(int fd, const char* data, size_t length) {
  while (length > 0) {
    ssize_t sent = send(fd, data, length, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent <= 0) {
      return -1;
    }
    data += sent;
    length -= (size_t)sent;
  }
  return 0;
}

static int receiveAll(int fd, char* data, size_t length) {
  while (length > 0) {
    ssize_t got = recv(fd, data, length, 0);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return -1;
    }
    data += got;
    length -= (size_t)got;
  }
  return 0;
}

static void noDelay(int fd) {
  int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

static char* filledChunk(void) {
  char* chunk = malloc(kChunk);
  if (chunk == NULL) {
    die("malloc");
  }
  for (size_t i = 0; i < kChunk; ++i) {
    chunk[i] = (char)(i * 131 + 7);
  }
  return chunk;
}

/* ---- server ---- */

static void serveConnection(int fd, char* buffer) {
  char header[kHeader];
  if (receiveAll(fd, header, kHeader) != 0) {
    return;
  }
  uint64_t value;
  memcpy(&value, header + 8, sizeof value);
  ssize_t got;
  if (header[0] == 'U') {
    uint64_t count = 0;
    while ((got = recv(fd, buffer, kChunk, 0)) > 0 || (got < 0 && errno == EINTR)) {
      count += got > 0 ? (uint64_t)got : 0;
    }
    sendAll(fd, (const char*)&count, sizeof count);
  } else if (header[0] == 'D') {
    memset(buffer, 'd', kChunk);
    while (value > 0) {
      size_t now_bytes = value < kChunk ? (size_t)value : kChunk;
      if (sendAll(fd, buffer, now_bytes) != 0) {
        return;
      }
      value -= now_bytes;
    }
  } else if (header[0] == 'E') {
    while ((got = recv(fd, buffer, kChunk, 0)) > 0 || (got < 0 && errno == EINTR)) {
      if (got > 0 && sendAll(fd, buffer, (size_t)got) != 0) {
        return;
      }
    }
  }
}

static void* serveOne(void* argument) {
  int fd = (int)(intptr_t)argument;
  char* buffer = malloc(kChunk);
  noDelay(fd);
  if (buffer != NULL) {
    serveConnection(fd, buffer);
  }
  free(buffer);
  close(fd);
  return NULL;
}

__attribute__((noreturn)) static void serve(void) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in address = {.sin_family = AF_INET};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener < 0 || bind(listener, (struct sockaddr*)&address, sizeof address) != 0 ||
      listen(listener, 128) != 0 ||
      getsockname(listener, (struct sockaddr*)&address, &length) != 0) {
    die("listen");
  }
  printf("%u\n", ntohs(address.sin_port));
  fflush(stdout);
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      die("accept");
    }
    pthread_t thread;
    if (pthread_create(&thread, NULL, serveOne, (void*)(intptr_t)fd) != 0) {
      close(fd);
      continue;
    }
    pthread_detach(thread);
  }
}

/* ---- clients ---- */

static int connectTo(int port, char mode, uint64_t value) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr*)&address, sizeof address) != 0) {
    die("connect");
  }
  noDelay(fd);
  char header[kHeader] = {mode};
  memcpy(header + 8, &value, sizeof value);
  if (sendAll(fd, header, kHeader) != 0) {
    die("send header");
  }
  return fd;
}

static int upload(int port, uint64_t total) {
  char* chunk = filledChunk();
  int fd = connectTo(port, 'U', total);
  double start = now();
  for (uint64_t left = total; left > 0;) {
    size_t now_bytes = left < kChunk ? (size_t)left : kChunk;
    if (sendAll(fd, chunk, now_bytes) != 0) {
      die("send");
    }
    left -= now_bytes;
  }
  shutdown(fd, SHUT_WR);
  uint64_t count = 0;
  if (receiveAll(fd, (char*)&count, sizeof count) != 0) {
    die("receive the server's count");
  }
  double seconds = now() - start;
  if (count != total) {
    fprintf(stderr, "pfd-relay-load: the server got %llu bytes of %llu\n",
            (unsigned long long)count, (unsigned long long)total);
    return 1;
  }
  printf("seconds=%.6f bytes=%llu\n", seconds, (unsigned long long)total);
  close(fd);
  free(chunk);
  return 0;
}

static int download(int port, uint64_t total) {
  char* buffer = malloc(kChunk);
  int fd = connectTo(port, 'D', total);
  double start = now();
  uint64_t count = 0;
  ssize_t got;
  while ((got = recv(fd, buffer, kChunk, 0)) > 0 || (got < 0 && errno == EINTR)) {
    count += got > 0 ? (uint64_t)got : 0;
  }
  double seconds = now() - start;
  if (count != total) {
    fprintf(stderr, "pfd-relay-load: received %llu bytes of %llu\n", (unsigned long long)count,
            (unsigned long long)total);
    return 1;
  }
  printf("seconds=%.6f bytes=%llu\n", seconds, (unsigned long long)total);
  close(fd);
  free(buffer);
  return 0;
}

static int compareDoubles(const void* a, const void* b) {
  double x = *(const double*)a;
  double y = *(const double*)b;
  return (x > y) - (x < y);
}

static int latency(int port, long count, size_t size, const char* samples_file) {
  char* message = malloc(size);
  char* answer = malloc(size);
  double* samples = malloc(sizeof(double) * (size_t)count);
  if (message == NULL || answer == NULL || samples == NULL) {
    die("malloc");
  }
  memset(message, 'q', size);
  int fd = connectTo(port, 'E', size);
  for (long i = -count / 10; i < count; ++i) {
    double start = now();
    if (sendAll(fd, message, size) != 0 || receiveAll(fd, answer, size) != 0) {
      die("round trip");
    }
    if (i >= 0) {
      samples[i] = (now() - start) * 1e6;
    }
  }
  close(fd);
  if (samples_file != NULL) {
    FILE* out = fopen(samples_file, "w");
    if (out == NULL) {
      die(samples_file);
    }
    for (long i = 0; i < count; ++i) {
      fprintf(out, "%.3f\n", samples[i]);
    }
    fclose(out);
  }
  qsort(samples, (size_t)count, sizeof(double), compareDoubles);
  double sum = 0;
  for (long i = 0; i < count; ++i) {
    sum += samples[i];
  }
  printf("count=%ld p50_us=%.2f p90_us=%.2f p99_us=%.2f max_us=%.2f mean_us=%.2f\n", count,
         samples[count / 2], samples[count * 90 / 100], samples[count * 99 / 100],
         samples[count - 1], sum / (double)count);
  free(samples);
  free(answer);
  free(message);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "serve") == 0) {
    serve();
  }
  if (argc == 4 && strcmp(argv[1], "upload") == 0) {
    return upload(atoi(argv[2]), strtoull(argv[3], NULL, 10));
  }
  if (argc == 4 && strcmp(argv[1], "download") == 0) {
    return download(atoi(argv[2]), strtoull(argv[3], NULL, 10));
  }
  if ((argc == 5 || argc == 6) && strcmp(argv[1], "latency") == 0 && atol(argv[3]) > 0 &&
      atol(argv[4]) > 0) {
    return latency(atoi(argv[2]), atol(argv[3]), (size_t)atol(argv[4]), argc == 6 ? argv[5] : NULL);
  }
  fprintf(stderr,
          "usage: pfd-relay-load serve | upload PORT BYTES | download PORT BYTES |"
          " latency PORT COUNT SIZE [FILE]\n");
  return 64;
}
