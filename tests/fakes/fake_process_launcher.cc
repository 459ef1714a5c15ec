#include "tests/fakes/fake_process_launcher.h"

#include <csignal>
#include <utility>

namespace pfd::testing {
namespace {

class FakeProcess : public process::Process {
 public:
  FakeProcess(FakeChildPtr child, event::Dispatcher& dispatcher, bool exit_on_terminate)
      : child_(std::move(child)), dispatcher_(dispatcher), exit_on_terminate_(exit_on_terminate) {}
  ~FakeProcess() override { child_->destroyed = true; }

  pid_t pid() const override { return child_->pid; }

  void terminate(std::chrono::milliseconds grace) override {
    child_->terminate_calls++;
    child_->grace = grace;
    if (exit_on_terminate_) {
      // Like a real child, the exit is observed later, never inside terminate().
      dispatcher_.post([weak = std::weak_ptr<FakeChild>(child_)] {
        if (auto child = weak.lock()) {
          child->exit(0, SIGTERM);
        }
      });
    }
  }

 private:
  FakeChildPtr child_;
  event::Dispatcher& dispatcher_;
  bool exit_on_terminate_;
};

}  // namespace

void FakeChild::print(const std::string& line, process::OutputStream stream) {
  if (alive && !destroyed && callbacks.on_line) {
    callbacks.on_line(stream, line);
  }
}

void FakeChild::exit(int code, int signal) {
  exit(process::ExitStatus{.exit_code = code, .term_signal = signal});
}

void FakeChild::exit(process::ExitStatus status) {
  if (!alive || destroyed) {
    return;
  }
  alive = false;
  if (callbacks.on_exit) {
    callbacks.on_exit(std::move(status));
  }
}

absl::StatusOr<process::ProcessPtr> FakeProcessLauncher::spawn(
    const process::ProcessSpec& spec, process::ProcessCallbacks callbacks) {
  attempts_++;
  if (!spawn_failures_.empty()) {
    absl::Status failure = std::move(spawn_failures_.front());
    spawn_failures_.pop_front();
    return failure;
  }
  auto child = std::make_shared<FakeChild>();
  child->pid = next_pid_++;
  child->spec = spec;
  child->callbacks = std::move(callbacks);
  children_.push_back(child);
  return std::make_unique<FakeProcess>(child, dispatcher_, exit_on_terminate_);
}

}  // namespace pfd::testing
