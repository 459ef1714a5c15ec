#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/string_view.h"
#include "daemon/core/cluster.h"
#include "daemon/core/forward_spec.h"
#include "daemon/core/pod_listing.h"
#include "daemon/event/dispatcher.h"
#include "daemon/process/process_launcher.h"

namespace pfd::core {

// Which pods one `kubectl get pods --watch` can see: same program, kubeconfig, context, namespace.
struct PodWatchKey {
  std::string kubectl;
  std::string kubeconfig;
  std::string context;
  std::string namespace_name;

  static PodWatchKey of(const ForwardSpec& spec) {
    return {spec.kubectl, spec.kubeconfig, spec.context, spec.namespace_name};
  }
  auto operator<=>(const PodWatchKey&) const = default;
};

class PodWatchHub;

// One line of the watch: a pod was added, changed or deleted.
struct PodEvent {
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string name;
  bool terminating = false;
  bool running_and_ready = false;
  std::map<std::string, std::string> labels;
  PodInfo pod;  // the pod as pod_listing describes it, for choosePod()

  bool leaving() const { return type == "DELETED" || terminating; }
};

// Parses "MODIFIED  web-1  terminating  Running  ready=True  labels=app=web,tier=x," (kubectl
// aligns the columns); false for anything else.
bool parsePodEvent(absl::string_view line, PodEvent* event);

// A wait for a watch's list; destroying it cancels the wait.
class PodWatchListWait {
 public:
  virtual ~PodWatchListWait() = default;
};
using PodWatchListWaitPtr = std::unique_ptr<PodWatchListWait>;

// Held by a forward for as long as it wants to hear about pods leaving; destroying it unregisters.
class PodWatchRegistration {
 public:
  PodWatchRegistration(PodWatchHub& hub, PodWatchKey key, uint64_t id)
      : hub_(hub), key_(std::move(key)), id_(id) {}
  ~PodWatchRegistration();
  PodWatchRegistration(const PodWatchRegistration&) = delete;
  PodWatchRegistration& operator=(const PodWatchRegistration&) = delete;

 private:
  PodWatchHub& hub_;
  PodWatchKey key_;
  uint64_t id_;
};
using PodWatchRegistrationPtr = std::unique_ptr<PodWatchRegistration>;

// One long-running `kubectl get pods --watch` per namespace (and context) that forwards use, so a
// forward learns that its pod is being deleted the moment the API server says so, and moves to
// another pod before a client connection fails on the dying one; and a forward waiting for a pod
// to run starts the moment one does, instead of when its backoff says. (kubectl port-forward itself
// only notices when the next connection through it fails.) The watch restarts with backoff when
// kubectl exits, and stops when no forward needs it.
class PodWatchHub {
 public:
  using PodEventCallback = std::function<void(const PodEvent& event)>;

  PodWatchHub(event::Dispatcher& dispatcher, process::ProcessLauncher& launcher,
              std::function<double()> random);
  ~PodWatchHub();

  // `on_event` runs on the loop for every change of a pod of the namespace; the forward compares
  // it with its own pod (leaving?) or, while it waits for one, with its selector (ready?).
  PodWatchRegistrationPtr registerForward(const ForwardSpec& spec, PodEventCallback on_event);

  // Watches wait for their cluster's API server while it is down instead of restarting on their
  // own, and report one that fails them; null: they restart with their backoff.
  void setClusters(ClusterHub* clusters) { clusters_ = clusters; }

  // The pods the watch knows for `spec`'s namespace that match `selector`, while the watch is
  // connected and has listed them all (kubectl lists, prints the list, then starts the watch
  // request, which its -v=6 log shows) and its cluster is up; nullopt otherwise.
  // Resolving from it saves a `kubectl get pods` on the restart after a pod was deleted.
  std::optional<std::vector<PodInfo>> knownPods(const ForwardSpec& spec,
                                                const std::string& selector) const;

  // While the watch of `spec`'s namespace is (re)starting and has not listed yet: `done` runs once
  // it has listed, or once it stopped trying (then knownPods() says nullopt). nullptr when there
  // is nothing to wait for: no such watch, or it waits on a backoff. Many forwards starting at
  // once (pfd's start, a cluster's return) then share the watch's list instead of running a
  // `kubectl get pods` each.
  PodWatchListWaitPtr whenListed(const ForwardSpec& spec, std::function<void()> done);

  // The argv of the watch, for tests and the log.
  static std::vector<std::string> watchArgv(const PodWatchKey& key);

 private:
  friend class PodWatchRegistration;
  class Watch;
  void unregister(const PodWatchKey& key, uint64_t id);

  event::Dispatcher& dispatcher_;
  process::ProcessLauncher& launcher_;
  std::function<double()> random_;
  ClusterHub* clusters_ = nullptr;
  std::map<PodWatchKey, std::unique_ptr<Watch>> watches_;
  uint64_t next_id_ = 1;
};

}  // namespace pfd::core
