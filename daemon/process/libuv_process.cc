#include "daemon/process/libuv_process.h"

#include <signal.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/event/uv_status.h"
#include "daemon/process/line_splitter.h"

namespace pfd::process {

struct LibuvProcess::State {
  explicit State(ProcessCallbacks callbacks_in) : callbacks(std::move(callbacks_in)) {}

  uv_process_t process{};
  uv_pipe_t stdout_pipe{};
  uv_pipe_t stderr_pipe{};
  // The SIGKILL deadline after terminate(), then, once the child has exited, the drain deadline.
  uv_timer_t timer{};
  int open_handles = 0;

  ProcessCallbacks callbacks;
  LineSplitter stdout_lines;
  LineSplitter stderr_lines;
  pid_t pid = 0;
  bool first_stderr_line = true;
  std::string exec_error;  // pfd-exec's own complaint, if it was the first thing on stderr

  bool owner_alive = true;
  bool exited = false;
  ExitStatus exit_status;
  bool stdout_done = false;
  bool stderr_done = false;
  bool exit_reported = false;
};

namespace {

using State = LibuvProcess::State;

uv_handle_t* asHandle(auto* handle) { return reinterpret_cast<uv_handle_t*>(handle); }

State* stateOf(const uv_handle_t* handle) { return static_cast<State*>(handle->data); }

void freeIfUnused(State* state) {
  if (!state->owner_alive && state->open_handles == 0) {
    delete state;
  }
}

void onHandleClosed(uv_handle_t* handle) {
  State* state = stateOf(handle);
  --state->open_handles;
  freeIfUnused(state);
}

void closeHandle(uv_handle_t* handle) {
  if (uv_is_closing(handle) == 0) {
    uv_close(handle, onHandleClosed);
  }
}

// The child leads its own process group (setsid in uv_spawn), so this reaches its descendants
// too. Only ever called before the child has been reaped, or right in its exit callback, when
// its pid cannot have been reused yet unless the group is empty.
void signalGroup(const State* state, int signal_number) { kill(-state->pid, signal_number); }

// pfd-exec's line when execv fails (pfd_exec.c). Only the first stderr line can be it: a program
// that ran has nothing of pfd-exec's before its own output.
constexpr int kExecFailedExitCode = 127;  // pfd_exec.c's kCannotRun
constexpr std::string_view kExecShimPrefix = "pfd-exec: ";
constexpr std::string_view kExecFailedMessage = "cannot execute ";

void deliverLine(State* state, OutputStream stream, std::string_view line) {
  if (stream == OutputStream::kStderr && state->first_stderr_line) {
    state->first_stderr_line = false;
    const std::string_view message =
        line.starts_with(kExecShimPrefix) ? line.substr(kExecShimPrefix.size()) : "";
    if (message.starts_with(kExecFailedMessage)) {
      state->exec_error = message;
    }
  }
  if (state->owner_alive && !state->exit_reported && state->callbacks.on_line) {
    state->callbacks.on_line(stream, line);
  }
}

void reportExitWhenComplete(State* state) {
  if (!state->owner_alive || state->exit_reported || !state->exited || !state->stdout_done ||
      !state->stderr_done) {
    return;
  }
  state->exit_reported = true;
  if (state->exit_status.term_signal == 0 && state->exit_status.exit_code == kExecFailedExitCode) {
    state->exit_status.exec_error = std::move(state->exec_error);
  }
  uv_timer_stop(&state->timer);
  closeHandle(asHandle(&state->timer));
  // The callback may destroy the Process; a local copy stays valid while it runs.
  auto on_exit = std::move(state->callbacks.on_exit);
  if (on_exit) {
    on_exit(state->exit_status);
  }
}

void finishStream(State* state, OutputStream stream) {
  const bool is_stdout = stream == OutputStream::kStdout;
  bool& done = is_stdout ? state->stdout_done : state->stderr_done;
  if (done) {
    return;
  }
  done = true;
  uv_pipe_t* pipe = is_stdout ? &state->stdout_pipe : &state->stderr_pipe;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(pipe));
  LineSplitter& lines = is_stdout ? state->stdout_lines : state->stderr_lines;
  lines.finish([&](std::string_view line) { deliverLine(state, stream, line); });
  closeHandle(asHandle(pipe));
}

void onAllocate(uv_handle_t*, size_t, uv_buf_t* buffer) {
  // libuv asks for a buffer right before each read and is done with it when the read callback
  // returns, and a loop runs on one thread: every pipe of the thread's loop can share one buffer.
  // (One per child cost 64 KiB of RSS per forward.)
  static thread_local std::array<char, 65536> read_buffer;
  *buffer = uv_buf_init(read_buffer.data(), read_buffer.size());
}

void onRead(uv_stream_t* pipe, ssize_t bytes_read, const uv_buf_t* buffer) {
  State* state = stateOf(asHandle(pipe));
  const OutputStream stream = pipe == reinterpret_cast<uv_stream_t*>(&state->stdout_pipe)
                                  ? OutputStream::kStdout
                                  : OutputStream::kStderr;
  if (bytes_read > 0) {
    LineSplitter& lines =
        stream == OutputStream::kStdout ? state->stdout_lines : state->stderr_lines;
    lines.feed(std::string_view(buffer->base, static_cast<size_t>(bytes_read)),
               [&](std::string_view line) { deliverLine(state, stream, line); });
  } else if (bytes_read < 0) {
    // UV_EOF, or a read error after which nothing more can come either.
    finishStream(state, stream);
    reportExitWhenComplete(state);
  }
}

void onTimer(uv_timer_t* timer) {
  State* state = stateOf(asHandle(timer));
  if (!state->exited) {
    // terminate()'s grace period is over.
    signalGroup(state, SIGKILL);
    return;
  }
  // Something outside the group still holds the pipes open: stop waiting for their end.
  finishStream(state, OutputStream::kStdout);
  finishStream(state, OutputStream::kStderr);
  reportExitWhenComplete(state);
}

void onExit(uv_process_t* process, int64_t exit_status, int term_signal) {
  State* state = stateOf(asHandle(process));
  state->exited = true;
  state->exit_status =
      ExitStatus{.exit_code = static_cast<int>(exit_status), .term_signal = term_signal};
  // A forward's processes do not outlive it: whatever the child left running in its group (which
  // would also keep the pipes open) goes with it, as systemd does with a service's cgroup.
  signalGroup(state, SIGKILL);
  closeHandle(asHandle(process));
  if (state->owner_alive && !(state->stdout_done && state->stderr_done)) {
    uv_timer_start(&state->timer, onTimer, LibuvProcess::kDrainTimeout.count(), 0);
  }
  reportExitWhenComplete(state);
}

std::vector<char*> nullTerminated(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& text : strings) {
    pointers.push_back(const_cast<char*>(text.c_str()));
  }
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

absl::StatusOr<ProcessPtr> LibuvProcess::start(uv_loop_t* loop, const SpawnRequest& request,
                                               ProcessCallbacks callbacks) {
  auto* state = new State(std::move(callbacks));
  for (uv_pipe_t* pipe : {&state->stdout_pipe, &state->stderr_pipe}) {
    uv_pipe_init(loop, pipe, 0);
    pipe->data = state;
    ++state->open_handles;
  }
  uv_timer_init(loop, &state->timer);
  state->timer.data = state;
  ++state->open_handles;

  std::vector<char*> args = nullTerminated(request.args);
  std::vector<char*> environment = nullTerminated(request.environment);
  std::array<uv_stdio_container_t, 3> stdio{};
  stdio[0].flags = UV_IGNORE;  // libuv connects it to /dev/null
  stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(&state->stdout_pipe);
  stdio[2].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(&state->stderr_pipe);

  uv_process_options_t options{};
  options.exit_cb = onExit;
  options.file = request.file.c_str();
  options.args = args.data();
  options.env = environment.data();
  options.flags = UV_PROCESS_DETACHED;  // setsid: the child leads a process group of its own
  options.stdio_count = static_cast<int>(stdio.size());
  options.stdio = stdio.data();

  state->process.data = state;
  const int rc = uv_spawn(loop, &state->process, &options);
  // uv_spawn initialises the handle even when it fails, so it is closed like the others.
  ++state->open_handles;
  if (rc != 0) {
    state->owner_alive = false;
    closeHandle(asHandle(&state->process));
    closeHandle(asHandle(&state->stdout_pipe));
    closeHandle(asHandle(&state->stderr_pipe));
    closeHandle(asHandle(&state->timer));
    return event::uvStatus(rc, absl::StrCat("cannot start ", request.display_name,
                                            " through pfd's helper ", request.file));
  }
  state->pid = state->process.pid;
  // From here on the destructor kills the child if anything below fails.
  ProcessPtr process(new LibuvProcess(state));
  for (uv_pipe_t* pipe : {&state->stdout_pipe, &state->stderr_pipe}) {
    if (int read_rc = uv_read_start(reinterpret_cast<uv_stream_t*>(pipe), onAllocate, onRead);
        read_rc != 0) {
      return event::uvStatus(read_rc,
                             absl::StrCat("cannot read the output of ", request.display_name));
    }
  }
  return process;
}

LibuvProcess::~LibuvProcess() {
  State* state = state_;
  state->owner_alive = false;
  if (!state->exited) {
    // The process handle stays open until libuv has reaped the child; onExit then closes it.
    signalGroup(state, SIGKILL);
  } else {
    closeHandle(asHandle(&state->process));
  }
  state->stdout_done = true;
  state->stderr_done = true;
  closeHandle(asHandle(&state->stdout_pipe));
  closeHandle(asHandle(&state->stderr_pipe));
  uv_timer_stop(&state->timer);
  closeHandle(asHandle(&state->timer));
  freeIfUnused(state);
}

pid_t LibuvProcess::pid() const { return state_->pid; }

void LibuvProcess::terminate(std::chrono::milliseconds grace) {
  State* state = state_;
  if (state->exited) {
    return;
  }
  signalGroup(state, SIGTERM);
  const auto delay = static_cast<uint64_t>(std::max<int64_t>(grace.count(), 0));
  // A second terminate() may bring the SIGKILL forward, never push it back.
  if (uv_is_active(asHandle(&state->timer)) == 0 || uv_timer_get_due_in(&state->timer) > delay) {
    uv_timer_start(&state->timer, onTimer, delay, 0);
  }
}

}  // namespace pfd::process
