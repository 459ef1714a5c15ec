#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/core/forward_spec.h"
#include "daemon/core/pod_listing.h"
#include "daemon/core/pod_watch.h"
#include "daemon/event/dispatcher.h"
#include "daemon/process/process_launcher.h"

namespace pfd::core {

// The pod (and its ports) a forward to a workload or service should use right now.
struct Resolution {
  std::string pod;
  std::vector<PortSpec> ports;  // remote ports translated for `kubectl port-forward pod/NAME`
  std::vector<PodInfo> pods;    // every pod of the target it chose from
};

// True for targets kubectl would resolve to a pod itself (deployment/, service/, ...), which pfd
// resolves instead so that it never lands on a terminating pod and always knows the pod's name.
bool needsResolution(const ForwardSpec& spec);

// True for a resolution that failed only because no pod of the target runs right now (the object
// exists; its pods are Pending, terminating or scaled to zero): a new pod can end the wait.
bool noPodRunning(const absl::Status& status);

// Runs `kubectl get TARGET` (skipped when `cache` already holds the object: selectors rarely
// change, and this saves a round trip on every restart) and `kubectl get pods -l SELECTOR`, then
// picks the pod. `done` runs once, on the loop, unless the resolver is destroyed first (which
// kills the kubectl it is running).
class TargetResolver {
 public:
  using Done = std::function<void(absl::StatusOr<Resolution>)>;

  // `pod_watches` (may be null) can answer the pod list without a `kubectl get pods`.
  TargetResolver(event::Dispatcher& dispatcher, process::ProcessLauncher& launcher,
                 PodWatchHub* pod_watches, const ForwardSpec& spec,
                 std::optional<TargetObject>& cache, Done done);

  void start();
  // Only `kubectl get TARGET`, into the cache; `done` then gets an empty Resolution (or the error).
  void fetchTarget();
  // Kills the kubectl it runs; nothing more happens. Not from inside `done`.
  void cancel();
  // `kubectl get TARGET` runs through `shared` (may be null): resolvers of forwards of the same
  // target that start together wait for one answer. Pods are not looked up that way: a fresh look
  // at them must not take an answer asked for before the pod went.
  void shareTargetLookups(process::ProcessLauncher* shared) { shared_launcher_ = shared; }

 private:
  struct Run {
    std::string out;
    std::string error;  // the best error line kubectl printed
  };
  // Through `launcher` when given, else the resolver's own.
  void runKubectl(std::vector<std::string> args,
                  std::function<void(const Run&, process::ExitStatus)> finished,
                  process::ProcessLauncher* launcher = nullptr);
  void getTarget();
  // From the pod watch when it knows the namespace or is about to (it is listing), else kubectl.
  void findPods();
  void onWatchListed();
  void getPods();
  void choose(const std::vector<PodInfo>& pods);
  // `keep_cache`: the object was found; only its pods were not usable.
  void fail(absl::Status status, bool keep_cache = false);

  event::Dispatcher& dispatcher_;
  process::ProcessLauncher& launcher_;
  process::ProcessLauncher* shared_launcher_ = nullptr;
  PodWatchHub* pod_watches_;
  const ForwardSpec& spec_;
  std::optional<TargetObject>& cache_;
  Done done_;
  process::ProcessPtr process_;
  PodWatchListWaitPtr watch_wait_;
  // A watch that is listing gets this long before `kubectl get pods` asks instead.
  event::TimerPtr watch_deadline_;
  Run run_;
  bool cancelled_ = false;
  bool target_only_ = false;
};

}  // namespace pfd::core
