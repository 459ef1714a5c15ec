#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/forward_spec.h"
#include "daemon/event/dispatcher.h"

namespace pfd::core {

// Which API server a forward talks to: the forwards that share these share one cluster.
struct ClusterKey {
  std::string kubectl;
  std::string kubeconfig;
  std::string context;

  static ClusterKey of(const ForwardSpec& spec) {
    return {spec.kubectl, spec.kubeconfig, spec.context};
  }
  auto operator<=>(const ClusterKey&) const = default;
};

// What one health check of a cluster found.
struct ClusterCheckResult {
  bool up = false;
  // Why it is down, for users: "connection refused on 127.0.0.1:6443".
  std::string reason;
  // The context's name (kubeconfig's current one when the forwards name none); "" if unknown.
  std::string context;
  // The check needed a kubectl run (the cheap look could not tell): the next one waits longer.
  bool used_kubectl = false;
  // The local address pfd's connection to the API server went out from; "" when it made none.
  // Another one after a network change: kubectl's connections went out the old way.
  std::string local_address;
};

// One check in flight; destroying it cancels it (its callback then never runs).
class ClusterCheck {
 public:
  virtual ~ClusterCheck() = default;
};
using ClusterCheckPtr = std::unique_ptr<ClusterCheck>;

// Looks at a cluster's API server once. `done` runs exactly once on the loop, never from inside
// check(), unless the handle is destroyed first.
class ClusterChecker {
 public:
  virtual ~ClusterChecker() = default;
  virtual ClusterCheckPtr check(const ClusterKey& key,
                                std::function<void(ClusterCheckResult)> done) = 0;
};

enum class ClusterHealth {
  kUp,        // nothing says otherwise
  kChecking,  // a forward failed for a reason that may be the cluster's: being looked at
  kDown,      // the check failed; checked again every 100 ms (longer when kubectl must tell)
};

class ClusterHub;

// One kubeconfig + context: its health, shared by every forward of it. A cluster-level failure
// (the API server unreachable, hung, refusing our credentials, answering 5xx) is one problem
// with one check, not one backoff loop per forward: forwards that hit it wait on the cluster,
// which checks its API server alone, cheaply, every second, and lets them all go the moment it
// answers.
class Cluster {
 public:
  struct WaitCallbacks {
    // The check confirmed the cluster down (reason): the forward says so and keeps waiting.
    std::function<void(const std::string& reason)> on_down;
    // The API server answers. `was_down`: it had been confirmed down (start now, a fresh
    // history); false: the check passed at once, so the failure was the forward's own.
    std::function<void(bool was_down)> on_up;
    // A forward (counted in messages and status), not a pod watch.
    bool forward = true;
  };
  class Wait;
  using WaitPtr = std::unique_ptr<Wait>;

  Cluster(ClusterHub& hub, ClusterKey key);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // A forward failed for a reason that may be the cluster's: check now, unless a check runs or
  // the cluster is already down. The returned wait reports what the cluster turns out to be.
  WaitPtr suspect(const std::string& reason, WaitCallbacks callbacks);
  // Waits while the cluster is not up; nullptr when it is up (go ahead).
  WaitPtr waitIfNotUp(WaitCallbacks callbacks);
  // Something changed under every cluster (a network change, a resume): look again at once,
  // whatever its health.
  void checkNow(const std::string& why);
  // A network change: checkNow, and `done(differs)` with the first answer of a check started
  // from now on: whether the API server answers differently than before the change (up <-> down,
  // or pfd's connection to it went out from another local address: the route changed).
  void checkAfterChange(const std::string& why, std::function<void(bool differs)> done);

  const ClusterKey& key() const { return key_; }
  ClusterHealth health() const { return health_; }
  bool up() const { return health_ == ClusterHealth::kUp; }
  const std::string& reason() const { return reason_; }
  // The context's name: the spec's, or kubeconfig's current one once a check read it; "" before.
  std::string contextName() const;
  // "context kind-dev", or "the current context" while its name is not known.
  std::string contextPhrase() const;
  // Since when it is in its health (down: since the check confirmed it).
  event::SystemTime since() const { return since_; }
  std::optional<event::SystemTime> nextCheck() const;
  // Forwards waiting for it (pod watches wait too, uncounted).
  size_t waiting() const;
  // "API server unreachable (context kind-dev): connection refused on 127.0.0.1:6443".
  std::string downText() const;

 private:
  friend class ClusterHub;
  friend class Wait;
  friend class ClusterRef;
  struct Waiter {
    WaitCallbacks callbacks;
  };
  WaitPtr addWaiter(WaitCallbacks callbacks);
  void removeWaiter(uint64_t id);
  void startCheck();
  void onCheckTimer();
  void onChecked(const ClusterCheckResult& result, uint64_t check_id);
  void applyAnswer(const ClusterCheckResult& result);
  void becomeDown(const ClusterCheckResult& result);
  void becomeUp();
  void scheduleCheck();
  void setHealth(ClusterHealth health);
  // Users: forwards referencing it (ClusterHub::acquire); checks stop at zero.
  void release();

  ClusterHub& hub_;
  const ClusterKey key_;
  ClusterHealth health_ = ClusterHealth::kUp;
  std::string reason_;
  std::string context_name_;
  event::SystemTime since_;
  event::MonotonicTime next_check_at_;
  // Checks in flight, by id. While the cluster is down a new one starts every check_interval
  // even if earlier ones have not answered: a server that hangs (a dead VPN) holds each check
  // until its timeout, and its return must not wait for that.
  std::map<uint64_t, ClusterCheckPtr> checks_;
  uint64_t next_check_id_ = 1;
  event::TimerPtr check_timer_;
  std::map<uint64_t, Waiter> waiters_;
  uint64_t next_waiter_ = 1;
  int slow_checks_ = 0;  // checks in a row that needed kubectl and failed
  int users_ = 0;
  // Set while a check is asked for again before the one in flight answered.
  bool recheck_ = false;
  // The local address of the last check that connected.
  std::string local_address_;
  struct AfterChange {
    uint64_t first_check;  // answers of older checks predate the change
    bool was_up;
    std::string local_address;
    std::function<void(bool differs)> done;
  };
  std::vector<AfterChange> after_change_;
};

// Held by a forward for as long as it uses a cluster; destroying it lets the cluster go.
class ClusterRef {
 public:
  ClusterRef(Cluster& cluster, std::weak_ptr<bool> hub_alive)
      : cluster_(cluster), hub_alive_(std::move(hub_alive)) {}
  ~ClusterRef();
  ClusterRef(const ClusterRef&) = delete;
  ClusterRef& operator=(const ClusterRef&) = delete;
  Cluster& operator*() const { return cluster_; }
  Cluster* operator->() const { return &cluster_; }

 private:
  Cluster& cluster_;
  // A holder destroyed after the hub (on the loop's last turn at exit) has nothing to release.
  std::weak_ptr<bool> hub_alive_;
};
using ClusterRefPtr = std::unique_ptr<ClusterRef>;

class Cluster::Wait {
 public:
  Wait(Cluster& cluster, uint64_t id, std::weak_ptr<bool> hub_alive)
      : cluster_(cluster), id_(id), hub_alive_(std::move(hub_alive)) {}
  ~Wait() {
    if (!hub_alive_.expired()) {
      cluster_.removeWaiter(id_);
    }
  }
  Wait(const Wait&) = delete;
  Wait& operator=(const Wait&) = delete;

 private:
  Cluster& cluster_;
  uint64_t id_;
  std::weak_ptr<bool> hub_alive_;
};

// Every cluster the forwards use, by key. Lives as long as the daemon's forwards; a cluster
// goes when its last forward lets it go.
class ClusterHub {
 public:
  struct Options {
    // How often a down cluster is looked at while the cheap look says it is down (a connect and
    // one request, nothing forked): often enough that forwards are back well within a second of
    // the server.
    Milliseconds check_interval{100};
    // Cheap checks of a down cluster that may be in flight at once (each waits up to its own
    // timeout on a hung server).
    size_t max_checks_in_flight = 10;
    // The longest wait between checks that need kubectl to tell (credentials refused, say).
    Milliseconds max_check_interval{30000};
  };

  ClusterHub(event::Dispatcher& dispatcher, ClusterChecker& checker, Options options);
  ~ClusterHub();

  ClusterRefPtr acquire(const ClusterKey& key);
  ClusterRefPtr acquire(const ForwardSpec& spec) { return acquire(ClusterKey::of(spec)); }
  // The cluster of `key`, if some forward uses it.
  const Cluster* find(const ClusterKey& key) const;
  std::vector<const Cluster*> clusters() const;
  // A network change or a resume: every cluster is looked at again at once; `after` (optional)
  // hears, per cluster, whether its API server answers differently than before
  // (Cluster::checkAfterChange).
  void checkAll(const std::string& why,
                std::function<void(const Cluster& cluster, bool differs)> after = nullptr);

  event::Dispatcher& dispatcher() { return dispatcher_; }
  ClusterChecker& checker() { return checker_; }
  const Options& options() const { return options_; }

 private:
  friend class Cluster;
  void drop(const ClusterKey& key);

  event::Dispatcher& dispatcher_;
  ClusterChecker& checker_;
  Options options_;
  std::map<ClusterKey, std::unique_ptr<Cluster>> clusters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace pfd::core
