#include "daemon/core/shared_kubectl.h"

#include <csignal>

namespace pfd::core {

// Output kept for members that join: kubectl port-forward prints its `Forwarding from` lines
// first, and what follows that matters (errors) ends the child soon; a `kubectl get` prints its
// answer. A child that printed more takes no new members, which would miss some of it.
constexpr size_t kReplayedBytes = 256 * 1024;

struct SharedKubectls::Child : std::enable_shared_from_this<Child> {
  Child(event::Dispatcher& loop, std::weak_ptr<SharedKubectls*> owner, Key command)
      : dispatcher(loop), registry(std::move(owner)), key(std::move(command)) {}

  // Takes no new members from now on.
  void close() {
    if (!open) {
      return;
    }
    open = false;
    if (auto owner = registry.lock()) {
      auto found = (*owner)->open_.find(key);
      if (found != (*owner)->open_.end() && found->second.get() == this) {
        (*owner)->open_.erase(found);
      }
    }
  }

  void onLine(process::OutputStream stream, std::string_view line) {
    std::shared_ptr<Child> keep = shared_from_this();
    // Per-connection lines are news only to the members there when they come.
    if (open && !line.starts_with("Handling connection for ")) {
      output_bytes += line.size() + 1;
      if (output_bytes > kReplayedBytes) {
        close();
        output.clear();
      } else {
        output.emplace_back(stream, std::string(line));
      }
    }
    for (Member* member : snapshot()) {
      if (member->replayed_) {
        member->callbacks_.on_line(stream, line);
      }
    }
    releaseAfterCallback(std::move(keep));
  }

  void onExit(const process::ExitStatus& exit_status) {
    std::shared_ptr<Child> keep = shared_from_this();
    exited = true;
    status = exit_status;
    close();
    // The process is inside its own callback: it goes on the next turn.
    dispatcher.post([released = std::move(process)] {});
    for (Member* member : snapshot()) {
      // A member still waiting for its replay gets the exit after it.
      if (member->replayed_) {
        detach(*member);
        member->callbacks_.on_exit(status);
      }
    }
    releaseAfterCallback(std::move(keep));
  }

  // The members now; those that leave while others are called are skipped.
  std::vector<Member*> snapshot() {
    std::vector<uint64_t> ids;
    ids.reserve(members.size());
    for (const auto& [id, member] : members) {
      ids.push_back(id);
    }
    std::vector<Member*> result;
    for (uint64_t id : ids) {
      if (auto found = members.find(id); found != members.end()) {
        result.push_back(found->second);
      }
    }
    return result;
  }

  void detach(Member& member) {
    member.attached_ = false;
    members.erase(member.id_);
  }

  // A callback may have dropped every other reference; the process must not die inside it.
  void releaseAfterCallback(std::shared_ptr<Child> keep) {
    if (keep.use_count() == 1) {
      dispatcher.post([released = std::move(keep)] {});
    }
  }

  event::Dispatcher& dispatcher;
  std::weak_ptr<SharedKubectls*> registry;
  const Key key;
  process::ProcessPtr process;
  pid_t pid = 0;
  bool open = true;
  bool exited = false;
  process::ExitStatus status;
  std::vector<std::pair<process::OutputStream, std::string>> output;
  size_t output_bytes = 0;
  std::map<uint64_t, Member*> members;
  uint64_t last_id = 0;
};

SharedKubectls::SharedKubectls(event::Dispatcher& dispatcher, process::ProcessLauncher& launcher)
    : dispatcher_(dispatcher), launcher_(launcher) {}

SharedKubectls::~SharedKubectls() = default;

absl::StatusOr<process::ProcessPtr> SharedKubectls::spawn(const process::ProcessSpec& spec,
                                                          process::ProcessCallbacks callbacks) {
  auto member = join(spec, std::move(callbacks));
  if (!member.ok()) {
    return member.status();
  }
  return process::ProcessPtr(std::move(*member));
}

absl::StatusOr<SharedKubectls::MemberPtr> SharedKubectls::join(
    const process::ProcessSpec& spec, process::ProcessCallbacks callbacks) {
  Key key{spec.argv, spec.env};
  if (auto found = open_.find(key); found != open_.end()) {
    std::shared_ptr<Child> child = found->second;
    const uint64_t id = ++child->last_id;
    MemberPtr member(new Member(child, id, std::move(callbacks), /*joined=*/true));
    child->members.emplace(id, member.get());
    dispatcher_.post([alive = std::weak_ptr<bool>(member->alive_), raw = member.get()] {
      if (alive.lock()) {
        raw->replay();
      }
    });
    return member;
  }
  auto child = std::make_shared<Child>(dispatcher_, self_, key);
  Child* raw = child.get();
  auto process = launcher_.spawn(
      spec, {.on_line = [raw](process::OutputStream stream,
                              std::string_view line) { raw->onLine(stream, line); },
             .on_exit = [raw](const process::ExitStatus& status) { raw->onExit(status); }});
  if (!process.ok()) {
    return process.status();
  }
  child->process = std::move(*process);
  child->pid = child->process->pid();
  open_[key] = child;
  const uint64_t id = ++child->last_id;
  MemberPtr member(new Member(child, id, std::move(callbacks), /*joined=*/false));
  member->replayed_ = true;
  child->members.emplace(id, member.get());
  return member;
}

SharedKubectls::Member::Member(std::shared_ptr<Child> child, uint64_t id,
                               process::ProcessCallbacks callbacks, bool joined)
    : child_(std::move(child)), id_(id), callbacks_(std::move(callbacks)), joined_(joined) {}

SharedKubectls::Member::~Member() {
  if (!attached_) {
    return;
  }
  child_->detach(*this);
  if (child_->members.empty() && !child_->exited) {
    // As destroying a Process does: the child is killed, and nobody hears from it again.
    child_->close();
    child_->dispatcher.post([released = std::move(child_->process)] {});
  }
}

pid_t SharedKubectls::Member::pid() const { return child_->pid; }

size_t SharedKubectls::Member::others() const {
  return child_->members.size() - (attached_ ? 1 : 0);
}

void SharedKubectls::Member::closeToOthers() { child_->close(); }

void SharedKubectls::Member::terminate(std::chrono::milliseconds grace) {
  if (!attached_) {
    return;
  }
  child_->close();
  if (child_->members.size() > 1) {
    // The others keep the child; to this member it is gone.
    child_->detach(*this);
    left_ = true;
    child_->dispatcher.post([alive = std::weak_ptr<bool>(alive_), this] {
      if (alive.lock()) {
        callbacks_.on_exit(process::ExitStatus{.term_signal = SIGTERM});
      }
    });
    return;
  }
  if (child_->process != nullptr) {
    child_->process->terminate(grace);
  }
}

void SharedKubectls::Member::replay() {
  if (!attached_) {
    return;
  }
  replayed_ = true;
  const std::weak_ptr<bool> alive = alive_;
  const auto output = child_->output;
  for (const auto& [stream, line] : output) {
    if (!alive.lock() || !attached_) {
      return;
    }
    callbacks_.on_line(stream, line);
  }
  if (alive.lock() && attached_ && child_->exited) {
    child_->detach(*this);
    callbacks_.on_exit(child_->status);
  }
}

}  // namespace pfd::core
