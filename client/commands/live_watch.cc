#include "client/commands/live_watch.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/render/describe_printer.h"
#include "client/render/live_view.h"
#include "client/render/table_line.h"

namespace pfd::client {
namespace {

constexpr char kEnterAlternateScreen[] = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J";
constexpr char kLeaveAlternateScreen[] = "\x1b[?25h\x1b[?1049l";
constexpr char kHome[] = "\x1b[H";
constexpr char kEraseLine[] = "\x1b[K";
constexpr char kEraseBelow[] = "\x1b[J";
constexpr char kClearScreen[] = "\x1b[2J";

// How often ListForwards refreshes the counters (bytes/s) and an open describe.
constexpr absl::Duration kRefreshInterval = absl::Seconds(1);
// Redraws are spaced at least this far apart: 200 forwards changing state within a second redraw
// the screen a few dozen times, not 200 times. Far under the 200 ms a change may take to show.
constexpr absl::Duration kMinimumRedrawInterval = absl::Milliseconds(40);

constexpr char kResizeByte = 'w';
constexpr char kQuitByte = 'x';

std::atomic<int> g_signal_pipe{-1};

extern "C" void onTerminalSignal(int signal) {
  const int saved_errno = errno;
  const int fd = g_signal_pipe.load();
  if (fd >= 0) {
    const char byte = signal == SIGWINCH ? kResizeByte : kQuitByte;
    [[maybe_unused]] ssize_t written = write(fd, &byte, 1);
  }
  errno = saved_errno;
}

void writeAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = write(fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        continue;
      }
      return;  // the terminal is gone: nothing left to show it
    }
    text.remove_prefix(static_cast<size_t>(written));
  }
}

void drain(int fd) {
  char buffer[64];
  while (read(fd, buffer, sizeof(buffer)) > 0) {
  }
}

// SIGINT, SIGTERM and SIGHUP end the view, SIGWINCH resizes it: the handler only writes a byte to
// a pipe that the loop polls, so the terminal is restored by ordinary code on the way out.
class SignalPipe {
 public:
  SignalPipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      return;
    }
    read_fd_ = fds[0];
    write_fd_ = fds[1];
    g_signal_pipe.store(write_fd_);
    struct sigaction action {};
    action.sa_handler = onTerminalSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (size_t i = 0; i < kSignals.size(); ++i) {
      sigaction(kSignals[i], &action, &previous_[i]);
    }
  }
  ~SignalPipe() {
    if (read_fd_ < 0) {
      return;
    }
    for (size_t i = 0; i < kSignals.size(); ++i) {
      sigaction(kSignals[i], &previous_[i], nullptr);
    }
    g_signal_pipe.store(-1);
    close(read_fd_);
    close(write_fd_);
  }
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  int fd() const { return read_fd_; }

 private:
  static constexpr std::array<int, 4> kSignals = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::array<struct sigaction, 4> previous_{};
};

// Keys one at a time, echo off, on the alternate screen with the cursor hidden; the destructor
// puts every one of those back. Ctrl-C still raises SIGINT (ISIG stays on), which SignalPipe turns
// into a clean exit.
class TerminalMode {
 public:
  TerminalMode(int in_fd, int out_fd) : in_fd_(in_fd), out_fd_(out_fd) {
    if (tcgetattr(in_fd_, &saved_) == 0) {
      saved_valid_ = true;
      struct termios raw = saved_;
      raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
      raw.c_iflag &= ~static_cast<tcflag_t>(IXON | ICRNL);
      raw.c_cc[VMIN] = 1;
      raw.c_cc[VTIME] = 0;
      tcsetattr(in_fd_, TCSANOW, &raw);
    }
    writeAll(out_fd_, kEnterAlternateScreen);
  }
  ~TerminalMode() {
    writeAll(out_fd_, kLeaveAlternateScreen);
    if (saved_valid_) {
      tcsetattr(in_fd_, TCSANOW, &saved_);
    }
  }
  TerminalMode(const TerminalMode&) = delete;
  TerminalMode& operator=(const TerminalMode&) = delete;

 private:
  int in_fd_;
  int out_fd_;
  struct termios saved_ {};
  bool saved_valid_ = false;
};

struct ScreenSize {
  size_t width = 80;
  size_t height = 24;
};

ScreenSize screenSize(int fd) {
  struct winsize size {};
  if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 && size.ws_row > 0) {
    return {size.ws_col, size.ws_row};
  }
  return {};
}

// The Watch stream, read on a thread of its own: events wait in a queue and a byte on a pipe
// wakes the loop.
class WatchFeed {
 public:
  WatchFeed(pfd::v1::Control::StubInterface& stub, const std::vector<std::string>& names) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
      wake_read_ = fds[0];
      wake_write_ = fds[1];
    }
    pfd::v1::WatchRequest request;
    request.mutable_names()->Assign(names.begin(), names.end());
    reader_ = stub.Watch(&context_, request);
    thread_ = std::thread([this] { read(); });
  }
  ~WatchFeed() {
    context_.TryCancel();
    thread_.join();
    close(wake_read_);
    close(wake_write_);
  }
  WatchFeed(const WatchFeed&) = delete;
  WatchFeed& operator=(const WatchFeed&) = delete;

  int fd() const { return wake_read_; }

  // The events that came since the last call; `ended` (with the stream's status) once it ended.
  std::vector<pfd::v1::ForwardEvent> take(bool& ended, grpc::Status& status) {
    drain(wake_read_);
    std::lock_guard<std::mutex> lock(mutex_);
    ended = ended_;
    status = status_;
    return std::exchange(events_, {});
  }

 private:
  void read() {
    pfd::v1::ForwardEvent event;
    while (reader_->Read(&event)) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        events_.push_back(std::move(event));
      }
      wake();
    }
    grpc::Status status = reader_->Finish();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ended_ = true;
      status_ = std::move(status);
    }
    wake();
  }
  void wake() {
    const char byte = 'e';
    [[maybe_unused]] ssize_t written = write(wake_write_, &byte, 1);
  }

  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderInterface<pfd::v1::ForwardEvent>> reader_;
  int wake_read_ = -1;
  int wake_write_ = -1;
  std::mutex mutex_;
  std::vector<pfd::v1::ForwardEvent> events_;
  bool ended_ = false;
  grpc::Status status_;
  std::thread thread_;
};

enum class Key { kNone, kUp, kDown, kEnter, kEscape, kQuit, kRestart, kOther };

// Splits what the terminal sent into keys: arrows come as ESC [ A / ESC O A. An escape sequence
// cut by the end of `input` is left in it for the next read to complete.
std::vector<Key> parseKeys(std::string& input) {
  std::vector<Key> keys;
  size_t i = 0;
  for (; i < input.size(); ++i) {
    const char c = input[i];
    if (c == '\x1b') {
      if (i + 1 == input.size() ||
          (i + 2 == input.size() && (input[i + 1] == '[' || input[i + 1] == 'O'))) {
        break;  // the rest of the sequence is still on its way
      }
      if (input[i + 1] == '[' || input[i + 1] == 'O') {
        const char code = input[i + 2];
        keys.push_back(code == 'A' ? Key::kUp : code == 'B' ? Key::kDown : Key::kOther);
        i += 2;
      } else {
        keys.push_back(Key::kEscape);
      }
      continue;
    }
    switch (c) {
      case 'q':
        keys.push_back(Key::kQuit);
        break;
      case 'r':
        keys.push_back(Key::kRestart);
        break;
      case 'k':
        keys.push_back(Key::kUp);
        break;
      case 'j':
        keys.push_back(Key::kDown);
        break;
      case '\r':
      case '\n':
        keys.push_back(Key::kEnter);
        break;
      default:
        keys.push_back(Key::kOther);
    }
  }
  input.erase(0, i);
  return keys;
}

class LiveWatch {
 public:
  LiveWatch(Connection& connection, pfd::v1::Control::StubInterface& stub,
            std::vector<std::string> names, int in_fd, int out_fd, bool color)
      : connection_(connection),
        stub_(stub),
        names_(std::move(names)),
        in_fd_(in_fd),
        out_fd_(out_fd),
        color_(color) {}

  absl::Status run() {
    // Unknown names and a daemon that does not answer are reported on the normal screen.
    pfd::v1::ListForwardsRequest request;
    request.mutable_names()->Assign(names_.begin(), names_.end());
    pfd::v1::ListForwardsResponse response;
    const grpc::Status listed =
        stub_.ListForwards(Connection::unaryContext().get(), request, &response);
    if (!listed.ok()) {
      return connection_.callError(listed);
    }
    SignalPipe signals;
    WatchFeed feed(stub_, names_);
    grpc::Status stream_status;
    bool stream_ended = false;
    {
      TerminalMode terminal(in_fd_, out_fd_);
      size_ = screenSize(out_fd_);
      absl::Time next_refresh = absl::InfinitePast();
      absl::Time last_draw = absl::InfinitePast();
      bool dirty = true;
      while (!quit_) {
        const absl::Time now = absl::Now();
        if (now >= next_refresh) {
          refresh(now);
          next_refresh = now + kRefreshInterval;
          dirty = true;
        }
        for (const pfd::v1::ForwardEvent& event : feed.take(stream_ended, stream_status)) {
          view_.apply(event);
          dirty = true;
        }
        if (stream_ended) {
          break;
        }
        absl::Time wake_at = next_refresh;
        if (dirty) {
          if (now - last_draw >= kMinimumRedrawInterval) {
            draw(now);
            last_draw = now;
            dirty = false;
          } else {
            wake_at = std::min(wake_at, last_draw + kMinimumRedrawInterval);
          }
        }
        struct pollfd fds[3] = {{.fd = in_fd_, .events = POLLIN, .revents = 0},
                                {.fd = feed.fd(), .events = POLLIN, .revents = 0},
                                {.fd = signals.fd(), .events = POLLIN, .revents = 0}};
        const int timeout_ms = static_cast<int>(
            std::max<int64_t>(0, absl::ToInt64Milliseconds(wake_at - absl::Now()) + 1));
        if (poll(fds, 3, timeout_ms) < 0 && errno != EINTR) {
          break;
        }
        if ((fds[2].revents & POLLIN) != 0) {
          dirty = onSignals(signals.fd()) || dirty;
        }
        if ((fds[0].revents & (POLLHUP | POLLERR)) != 0) {
          break;  // the terminal went away
        }
        if ((fds[0].revents & POLLIN) != 0) {
          onInput();
          dirty = true;
        }
      }
    }
    if (stream_ended && !stream_status.ok()) {
      return connection_.callError(stream_status);
    }
    return absl::OkStatus();
  }

 private:
  // True when the screen must be drawn again (a resize).
  bool onSignals(int fd) {
    char bytes[32];
    bool resized = false;
    ssize_t got = 0;
    while ((got = read(fd, bytes, sizeof(bytes))) > 0) {
      for (ssize_t i = 0; i < got; ++i) {
        if (bytes[i] == kQuitByte) {
          quit_ = true;
        } else if (bytes[i] == kResizeByte) {
          resized = true;
        }
      }
    }
    if (resized) {
      size_ = screenSize(out_fd_);
      last_frame_.clear();
      writeAll(out_fd_, kClearScreen);
    }
    return resized;
  }

  void onInput() {
    char bytes[4096];
    const ssize_t got = read(in_fd_, bytes, sizeof(bytes));
    if (got <= 0) {
      return;
    }
    pending_input_.append(bytes, static_cast<size_t>(got));
    for (Key key : parseKeys(pending_input_)) {
      if (describing_.has_value()) {
        if (key == Key::kUp || key == Key::kDown) {
          const long delta = key == Key::kUp ? -1 : 1;
          describe_top_ =
              static_cast<size_t>(std::max(0L, static_cast<long>(describe_top_) + delta));
        } else {
          describing_.reset();  // any other key: back to the table
        }
        continue;
      }
      switch (key) {
        case Key::kQuit:
          quit_ = true;
          return;
        case Key::kUp:
          view_.moveSelection(-1);
          break;
        case Key::kDown:
          view_.moveSelection(1);
          break;
        case Key::kRestart:
          restartSelected();
          break;
        case Key::kEnter:
          if (std::optional<std::string> name = view_.selectedName(); name.has_value()) {
            describing_ = *name;
            describe_top_ = 0;
            fetchDescribe();
          }
          break;
        default:
          break;
      }
    }
  }

  void refresh(absl::Time now) {
    pfd::v1::ListForwardsRequest request;
    request.mutable_names()->Assign(names_.begin(), names_.end());
    pfd::v1::ListForwardsResponse response;
    const grpc::Status status =
        stub_.ListForwards(Connection::unaryContext().get(), request, &response);
    if (status.ok()) {
      view_.refresh(response, now);
    }
    if (describing_.has_value()) {
      fetchDescribe();
    }
  }

  void fetchDescribe() {
    pfd::v1::DescribeForwardRequest request;
    request.set_name(*describing_);
    pfd::v1::DescribeForwardResponse response;
    const grpc::Status status =
        stub_.DescribeForward(Connection::unaryContext().get(), request, &response);
    describe_text_ = status.ok() ? describeText(response, absl::Now())
                                 : absl::StrCat("error: ", status.error_message());
  }

  void restartSelected() {
    std::optional<std::string> name = view_.selectedName();
    if (!name.has_value()) {
      return;
    }
    pfd::v1::ForwardsRequest request;
    request.add_names(*name);
    pfd::v1::ForwardsResponse response;
    const grpc::Status status =
        stub_.RestartForwards(Connection::unaryContext().get(), request, &response);
    view_.setMessage(status.ok() ? absl::StrCat("restarted ", *name)
                                 : absl::StrCat("restart ", *name, ": ", status.error_message()));
  }

  std::vector<std::string> describeFrame(size_t width, size_t height) {
    std::vector<std::string> lines;
    std::vector<std::string> text = absl::StrSplit(describe_text_, '\n');
    const size_t room = height > 1 ? height - 1 : 0;
    describe_top_ = std::min(describe_top_, text.size() > room ? text.size() - room : 0);
    for (size_t i = describe_top_; i < text.size() && lines.size() < room; ++i) {
      lines.push_back(truncateToWidth(text[i], width));
    }
    while (lines.size() < room) {
      lines.emplace_back();
    }
    lines.push_back(truncateToWidth(
        absl::StrCat("describe ", *describing_, "   up/down scroll, any other key: back"), width));
    return lines;
  }

  void draw(absl::Time now) {
    // One column short of the edge: writing the last column leaves the cursor waiting to wrap,
    // and the erase that follows would take that character away.
    const size_t width = size_.width > 1 ? size_.width - 1 : 1;
    std::vector<std::string> lines = describing_.has_value()
                                         ? describeFrame(width, size_.height)
                                         : view_.frame(width, size_.height, color_, now);
    std::string frame = kHome;
    for (size_t i = 0; i < lines.size(); ++i) {
      frame.append(lines[i]);
      frame.append(kEraseLine);
      if (i + 1 < lines.size()) {
        frame.append("\r\n");
      }
    }
    frame.append(kEraseBelow);
    if (frame == last_frame_) {
      return;
    }
    writeAll(out_fd_, frame);
    last_frame_ = std::move(frame);
  }

  Connection& connection_;
  pfd::v1::Control::StubInterface& stub_;
  std::vector<std::string> names_;
  int in_fd_;
  int out_fd_;
  bool color_;
  LiveView view_;
  ScreenSize size_;
  bool quit_ = false;
  std::optional<std::string> describing_;
  std::string describe_text_;
  size_t describe_top_ = 0;
  std::string last_frame_;
  std::string pending_input_;  // the start of an escape sequence the next read completes
};

}  // namespace

absl::Status runLiveWatch(Connection& connection, const std::vector<std::string>& names, int in_fd,
                          int out_fd, bool color) {
  absl::StatusOr<pfd::v1::Control::StubInterface*> stub = connection.stub();
  if (!stub.ok()) {
    return stub.status();
  }
  return LiveWatch(connection, **stub, names, in_fd, out_fd, color).run();
}

}  // namespace pfd::client
