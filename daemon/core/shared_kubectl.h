#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/event/dispatcher.h"
#include "daemon/process/process_launcher.h"

namespace pfd::core {

// `kubectl port-forward` children that forwards share. Forwards that hold their local ports run
// kubectl on ephemeral loopback ports and relay to them, so two forwards of the same pod and
// remote ports would run the very same command: they join one child instead. Twenty forwards of
// four deployments then start four kubectl processes, not twenty, which is what lets every
// forward of a cluster come back within a second of its API server (kubectl's start costs about
// 0.2 s of CPU each).
//
// Each forward's run gets a Member, a process::Process of its own: it sees the child's output
// from the start (the `Forwarding from` lines are replayed to a member that joins later) and its
// exit. A member that terminates leaves: the child goes on for the others and takes no new
// members (a run that stops its kubectl wants a new one next time), and only the last member's
// terminate reaches the child. Destroying the last member kills the child, as destroying a
// Process does.
//
// The same goes for the `kubectl get TARGET` that finds a workload's selector: 200 forwards of ten
// deployments that start together ask the API server ten times, not 200.
class SharedKubectls : public process::ProcessLauncher {
 public:
  class Member;
  using MemberPtr = std::unique_ptr<Member>;

  SharedKubectls(event::Dispatcher& dispatcher, process::ProcessLauncher& launcher);
  ~SharedKubectls() override;
  SharedKubectls(const SharedKubectls&) = delete;
  SharedKubectls& operator=(const SharedKubectls&) = delete;

  // Joins the running child of the same command (argv and environment) that still takes members,
  // or spawns one. A joining member's callbacks start on the next turn of the loop, with the
  // child's output so far (without kubectl's per-connection lines).
  absl::StatusOr<MemberPtr> join(const process::ProcessSpec& spec,
                                 process::ProcessCallbacks callbacks);
  // join() for whoever needs only a Process.
  absl::StatusOr<process::ProcessPtr> spawn(const process::ProcessSpec& spec,
                                            process::ProcessCallbacks callbacks) override;

  // Children that take members now.
  size_t openChildren() const { return open_.size(); }

 private:
  struct Child;
  using Key = std::pair<std::vector<std::string>, std::vector<std::pair<std::string, std::string>>>;

  event::Dispatcher& dispatcher_;
  process::ProcessLauncher& launcher_;
  std::map<Key, std::shared_ptr<Child>> open_;
  // Children hold this weakly: one that outlives the registry no longer updates it.
  std::shared_ptr<SharedKubectls*> self_ = std::make_shared<SharedKubectls*>(this);
};

class SharedKubectls::Member : public process::Process {
 public:
  ~Member() override;
  pid_t pid() const override;
  void terminate(std::chrono::milliseconds grace) override;

  // It joined a child that was already running.
  bool joined() const { return joined_; }
  // The other members of its child, now.
  size_t others() const;
  // The child takes no new members: this one only finishes what it serves (draining).
  void closeToOthers();
  // It terminated while other members kept the child: its exit was its own leaving.
  bool left() const { return left_; }

 private:
  friend class SharedKubectls;
  Member(std::shared_ptr<Child> child, uint64_t id, process::ProcessCallbacks callbacks,
         bool joined);
  void replay();

  std::shared_ptr<Child> child_;
  const uint64_t id_;
  process::ProcessCallbacks callbacks_;
  const bool joined_;
  bool attached_ = true;  // it gets the child's lines and exit
  bool replayed_ = false;
  bool left_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace pfd::core
