#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/core/forward.h"

namespace pfd::core {

// Told about every forward's state changes and output lines (the RPC streams).
class SupervisorListener {
 public:
  virtual ~SupervisorListener() = default;
  virtual void onStateChanged(const Forward& forward, ForwardState previous,
                              const std::string& reason) = 0;
  virtual void onLogLine(const Forward& forward, const LogLine& line) = 0;
  virtual void onProbeChanged(const Forward& /*forward*/, const std::string& /*text*/) {}
  virtual void onSwitched(const Forward& /*forward*/, const std::string& /*text*/) {}
};

struct ReconcileResult {
  std::vector<std::string> added;
  std::vector<std::string> changed;
  std::vector<std::string> removed;
  std::vector<std::string> unchanged;
};

// Owns every forward and makes the running set match the desired list: reconcile, don't command.
// Forwards whose spec did not change are left untouched; changed ones get the new spec, removed
// ones shut down, added ones start.
class Supervisor : private ForwardObserver {
 public:
  explicit Supervisor(ForwardContext& context);
  ~Supervisor() override;

  ReconcileResult reconcile(const std::vector<ForwardSpec>& desired);

  // The named forwards (or all of them when `names` is empty and `all_when_empty`), in config
  // order. NotFound, listing the known names, when one is unknown.
  absl::StatusOr<std::vector<Forward*>> find(const std::vector<std::string>& names,
                                             bool all_when_empty) const;
  std::vector<Forward*> forwards() const;

  // Stops every forward; `done` runs once every child has exited.
  void shutdown(std::function<void()> done);
  bool shuttingDown() const { return shutting_down_; }

  void addListener(SupervisorListener* listener);
  void removeListener(SupervisorListener* listener);

 private:
  void onStateChanged(const Forward& forward, ForwardState previous,
                      const std::string& reason) override;
  void onLogLine(const Forward& forward, const LogLine& line) override;
  void onProbeChanged(const Forward& forward, const std::string& text) override;
  void onSwitched(const Forward& forward, const std::string& text) override;
  void onIdle(Forward& forward) override;
  void maybeFinishShutdown();
  // An added forward whose local ports a removed forward's child still binds.
  bool portsStillTaken(const Forward& forward) const;
  void activatePending();

  ForwardContext& context_;
  std::vector<ForwardPtr> forwards_;  // config order
  // Removed from the config; kept until their children have exited.
  std::vector<ForwardPtr> retiring_;
  // Added forwards waiting for a retiring one to free their ports.
  std::vector<Forward*> pending_activation_;
  std::vector<SupervisorListener*> listeners_;
  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
};

}  // namespace pfd::core
