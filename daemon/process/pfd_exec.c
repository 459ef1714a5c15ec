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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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

/*
 * The death signal reaches only this process (and the program it becomes), not the processes the
 * program starts itself (ssh's ProxyCommand, a wrapper script's children). So a watchdog, forked
 * before the exec and left in the program's process group, waits on pidfds for pfd or the program
 * to end. When pfd ends first, the watchdog kills the whole group; when the program ends, it just
 * goes (pfd kills what is left of the group then). It has no death signal of its own: the program
 * dies of pfd's death too, and the watchdog must outlive that long enough to act. It holds no
 * descriptor, so pfd still sees the program's output pipes close when the program exits. Without
 * pidfd_open (Linux < 5.3) there is no watchdog and only the program is covered.
 */
static void startGroupWatchdog(pid_t pfd) {
  pid_t program = getpid();
  if (getpgrp() != program) {
    /* Not started by pfd in a process group of its own: killing this group could hit whoever
     * started us (a shell, a test runner). */
    return;
  }
  pid_t watchdog = fork();
  if (watchdog != 0) {
    return; /* the program goes on (a failed fork only loses the watchdog) */
  }
  for (int fd = 0; fd < 1024; ++fd) {
    close(fd);
  }
  int pfd_fd = (int)syscall(SYS_pidfd_open, pfd, 0);
  int program_fd = (int)syscall(SYS_pidfd_open, program, 0);
  if (pfd_fd < 0 && errno != ESRCH) {
    _exit(0); /* no pidfds here: the death signal alone has to do */
  }
  if (pfd_fd >= 0 && program_fd >= 0) {
    struct pollfd wait_for[2] = {{.fd = pfd_fd, .events = POLLIN},
                                 {.fd = program_fd, .events = POLLIN}};
    while (poll(wait_for, 2, -1) < 0 && errno == EINTR) {
    }
    if (!(wait_for[0].revents & POLLIN)) {
      /* The program ended. When pfd is dying, the program's death signal can come before pfd's
       * pidfd turns readable (the kernel signals orphans first, and a multi-threaded pfd ends
       * thread by thread), so give pfd a moment to show it is gone. A live pfd kills what is left
       * of the group, this watchdog included, as soon as it reaps the program. */
      struct pollfd pfd_only = {.fd = pfd_fd, .events = POLLIN};
      while (poll(&pfd_only, 1, 1000) < 0 && errno == EINTR) {
      }
      if (!(pfd_only.revents & POLLIN)) {
        _exit(0);
      }
    }
  }
  kill(-getpgrp(), SIGKILL);
  _exit(0);
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
  startGroupWatchdog(parent);
  execv(argv[2], argv + 2);
  fprintf(stderr, "pfd-exec: cannot execute %s: %s\n", argv[2], strerror(errno));
  return kCannotRun;
}
