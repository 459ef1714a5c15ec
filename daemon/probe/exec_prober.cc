#include "daemon/probe/exec_prober.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daemon/probe/probe_completion.h"
#include "daemon/probe/probe_messages.h"

namespace pfd::probe {
namespace {

class ExecProbe : public ProbeHandle {
 public:
  ExecProbe(event::Dispatcher& dispatcher, const core::ProbeSpec& spec,
            std::function<void(ProbeResult)> done)
      : timeout_(spec.timeout),
        completion_(std::move(done)),
        timer_(dispatcher.createTimer([this] { onTimer(); })) {}

  // Destroying a running Process kills its process group and silences its callbacks.
  ~ExecProbe() override { process_.reset(); }

  void start(process::ProcessLauncher& launcher, const std::vector<std::string>& command,
             const std::vector<std::pair<std::string, std::string>>& environment) {
    if (command.empty()) {
      deliverLater(completion_.result(false, "exec probe has no command; set exec.command"));
      return;
    }
    process::ProcessCallbacks callbacks;
    callbacks.on_line = [this](process::OutputStream, std::string_view line) { onLine(line); };
    callbacks.on_exit = [this](process::ExitStatus status) { onExit(status); };
    absl::StatusOr<process::ProcessPtr> process = launcher.spawn(
        process::ProcessSpec{.argv = command, .env = environment}, std::move(callbacks));
    if (!process.ok()) {
      deliverLater(completion_.result(false, std::string(process.status().message())));
      return;
    }
    process_ = *std::move(process);
    timer_->enable(timeout_);
  }

 private:
  // Only the last line is kept: it is the one that explains a failure, and a chatty command
  // must not grow the daemon's memory.
  void onLine(std::string_view line) {
    // Debian's abseil has its own string_view type, not std::string_view.
    const absl::string_view trimmed =
        absl::StripTrailingAsciiWhitespace(absl::string_view(line.data(), line.size()));
    if (trimmed.empty()) {
      return;
    }
    last_line_ = std::string(trimmed.substr(0, ExecProber::kMaxMessageLineBytes));
  }

  void onExit(process::ExitStatus status) {
    std::string message;
    if (status.term_signal != 0) {
      message = absl::StrCat("killed by signal ", status.term_signal);
    } else {
      message = absl::StrCat("exit code ", status.exit_code);
    }
    const bool success = status.term_signal == 0 && status.exit_code == 0;
    if (!success && !last_line_.empty()) {
      absl::StrAppend(&message, ": ", last_line_);
    }
    // The Process must not be destroyed inside its own callback, and done may destroy this
    // probe: hand both to the next loop turn.
    deliverLater(completion_.result(success, std::move(message)));
  }

  // The timeout, or the next loop turn after the result was known.
  void onTimer() {
    process_.reset();
    if (result_.has_value()) {
      completion_.complete(*std::move(result_));
      return;
    }
    completion_.complete(completion_.result(false, timeoutMessage(timeout_)));
  }

  void deliverLater(ProbeResult result) {
    result_ = std::move(result);
    timer_->enable(std::chrono::milliseconds(0));
  }

  const std::chrono::milliseconds timeout_;
  ProbeCompletion completion_;
  event::TimerPtr timer_;
  std::optional<ProbeResult> result_;
  std::string last_line_;
  process::ProcessPtr process_;
};

}  // namespace

ExecProber::ExecProber(event::Dispatcher& dispatcher, process::ProcessLauncher& launcher)
    : dispatcher_(dispatcher), launcher_(launcher) {}

ProbeHandlePtr ExecProber::run(const core::ProbeSpec& spec, const std::string& /*address*/,
                               std::function<void(ProbeResult)> done) {
  auto probe = std::make_unique<ExecProbe>(dispatcher_, spec, std::move(done));
  probe->start(launcher_, spec.command, spec.environment);
  return probe;
}

}  // namespace pfd::probe
