#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "daemon/core/forward_spec.h"
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
// another pod before a client connection fails on the dying one. (kubectl port-forward itself
// only notices when the next connection through it fails.) The watch restarts with backoff when
// kubectl exits, and stops when no forward needs it.
class PodWatchHub {
 public:
  using PodLeaving = std::function<void(const std::string& pod)>;

  PodWatchHub(event::Dispatcher& dispatcher, process::ProcessLauncher& launcher,
              std::function<double()> random);
  ~PodWatchHub();

  // `on_leaving` runs on the loop for every pod of the namespace that starts terminating or is
  // deleted; the forward compares it with its own pod.
  PodWatchRegistrationPtr registerForward(const ForwardSpec& spec, PodLeaving on_leaving);

  // The argv of the watch, for tests and the log.
  static std::vector<std::string> watchArgv(const PodWatchKey& key);

 private:
  friend class PodWatchRegistration;
  class Watch;
  void unregister(const PodWatchKey& key, uint64_t id);

  event::Dispatcher& dispatcher_;
  process::ProcessLauncher& launcher_;
  std::function<double()> random_;
  std::map<PodWatchKey, std::unique_ptr<Watch>> watches_;
  uint64_t next_id_ = 1;
};

}  // namespace pfd::core
