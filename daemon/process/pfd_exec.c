/*
 * pfd-exec PARENT_PID PROGRAM [ARGS...]
 *
 * pfd starts every child through this shim because libuv has no hook that runs in the child
 * before exec. It asks the kernel to SIGKILL it (and so the program it becomes) when the thread
 * that forked it dies, so a child never outlives a pfd that was SIGKILLed, then execs PROGRAM
 * with PROGRAM as argv[0] and ARGS after it. PROGRAM must be a path: pfd has already looked it
 * up on PATH. Exit code 127 means PROGRAM never started.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

enum { kCannotRun = 127 };

static int parsePid(const char* text, pid_t* pid) {
  char* end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value <= 0 || value != (pid_t)value) {
    return -1;
  }
  *pid = (pid_t)value;
  return 0;
}

int main(int argc, char** argv) {
  pid_t parent = 0;
  if (argc < 3 || parsePid(argv[1], &parent) != 0) {
    fprintf(stderr,
            "pfd-exec: usage: pfd-exec PARENT_PID PROGRAM [ARGS...]; pfd runs this helper itself "
            "to start forwards, there is no need to run it by hand\n");
    return kCannotRun;
  }
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    fprintf(stderr, "pfd-exec: cannot ask to be killed with pfd (prctl PR_SET_PDEATHSIG): %s\n",
            strerror(errno));
    return kCannotRun;
  }
  /* pfd died between fork and prctl, so no death signal will come: nobody wants this child. */
  if (getppid() != parent) {
    return kCannotRun;
  }
  execv(argv[2], argv + 2);
  fprintf(stderr, "pfd-exec: cannot execute %s: %s\n", argv[2], strerror(errno));
  return kCannotRun;
}
