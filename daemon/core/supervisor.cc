#include "daemon/core/supervisor.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pfd::core {

Supervisor::Supervisor(ForwardContext& context) : context_(context) {}

Supervisor::~Supervisor() = default;

ReconcileResult Supervisor::reconcile(const std::vector<ForwardSpec>& desired) {
  ReconcileResult result;
  std::vector<ForwardPtr> next;
  std::vector<Forward*> to_activate;
  std::vector<Forward*> to_retry;
  std::vector<std::pair<Forward*, const ForwardSpec*>> to_replace;
  for (const ForwardSpec& spec : desired) {
    auto existing = std::find_if(forwards_.begin(), forwards_.end(), [&](const ForwardPtr& f) {
      return f != nullptr && f->name() == spec.name;
    });
    if (existing == forwards_.end()) {
      next.push_back(
          std::make_unique<Forward>(spec, context_, static_cast<ForwardObserver&>(*this)));
      to_activate.push_back(next.back().get());
      result.added.push_back(spec.name);
      continue;
    }
    if ((*existing)->spec() == spec) {
      result.unchanged.push_back(spec.name);
      // FAILED waits for a restart or a reload: whatever it waited for (a program installed,
      // a file fixed) may have been fixed outside the config.
      if ((*existing)->state() == ForwardState::kFailed) {
        to_retry.push_back(existing->get());
      }
    } else {
      to_replace.emplace_back(existing->get(), &spec);
      result.changed.push_back(spec.name);
    }
    next.push_back(std::move(*existing));
  }
  std::vector<Forward*> removing;
  for (ForwardPtr& leftover : forwards_) {
    if (leftover == nullptr) {
      continue;
    }
    result.removed.push_back(leftover->name());
    removing.push_back(leftover.get());
    retiring_.push_back(std::move(leftover));
  }
  forwards_ = std::move(next);
  for (Forward* forward : removing) {
    std::erase(pending_activation_, forward);
  }
  // Only now that forwards_ is whole again: a restart changes the forward's state at once, and
  // listeners told about it walk every forward (the systemd STATUS line counts the READY ones).
  for (Forward* forward : to_retry) {
    forward->restart();
  }
  for (auto [forward, spec] : to_replace) {
    forward->replaceSpec(*spec);
  }
  // Removed forwards release their ports before added ones try to bind them: held ports at once,
  // ports a kubectl or command binds once that child has exited (a renamed forward must not find
  // its own old child on its port). shutdown() may report idle at once, which erases from
  // retiring_, so iterate over plain pointers.
  for (Forward* forward : removing) {
    forward->shutdown();
  }
  for (Forward* forward : to_activate) {
    if (portsStillTaken(*forward)) {
      pending_activation_.push_back(forward);
    } else {
      forward->activate();
    }
  }
  return result;
}

bool Supervisor::portsStillTaken(const Forward& forward) const {
  for (const ForwardPtr& retiring : retiring_) {
    if (retiring->spec().holdsPorts()) {
      continue;  // released in shutdown()
    }
    for (const PortSpec& theirs : retiring->spec().ports) {
      for (const PortSpec& ours : forward.spec().ports) {
        if (theirs.local == ours.local) {
          return true;
        }
      }
    }
  }
  return false;
}

void Supervisor::activatePending() {
  std::vector<Forward*> ready;
  std::erase_if(pending_activation_, [&](Forward* forward) {
    if (portsStillTaken(*forward)) {
      return false;
    }
    ready.push_back(forward);
    return true;
  });
  for (Forward* forward : ready) {
    forward->activate();
  }
}

absl::StatusOr<std::vector<Forward*>> Supervisor::find(const std::vector<std::string>& names,
                                                       bool all_when_empty) const {
  if (names.empty()) {
    return all_when_empty ? forwards() : std::vector<Forward*>{};
  }
  std::vector<Forward*> found;
  std::vector<std::string> unknown;
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) {
      continue;
    }
    auto it = std::find_if(forwards_.begin(), forwards_.end(),
                           [&](const ForwardPtr& f) { return f->name() == name; });
    if (it == forwards_.end()) {
      unknown.push_back(name);
    } else {
      found.push_back(it->get());
    }
  }
  if (!unknown.empty()) {
    std::vector<std::string> known;
    for (const ForwardPtr& forward : forwards_) {
      known.push_back(forward->name());
    }
    return absl::NotFoundError(
        absl::StrCat(unknown.size() == 1 ? "no forward named " : "no forwards named ",
                     absl::StrJoin(unknown, ", "),
                     "; known forwards: ", known.empty() ? "(none)" : absl::StrJoin(known, ", ")));
  }
  return found;
}

std::vector<Forward*> Supervisor::forwards() const {
  std::vector<Forward*> all;
  all.reserve(forwards_.size());
  for (const ForwardPtr& forward : forwards_) {
    all.push_back(forward.get());
  }
  return all;
}

void Supervisor::shutdown(std::function<void()> done) {
  shutting_down_ = true;
  pending_activation_.clear();
  shutdown_done_ = std::move(done);
  for (ForwardPtr& forward : forwards_) {
    retiring_.push_back(std::move(forward));
  }
  forwards_.clear();
  // shutdown() may report idle synchronously, which erases from retiring_: iterate a copy.
  std::vector<Forward*> stopping;
  for (const ForwardPtr& forward : retiring_) {
    stopping.push_back(forward.get());
  }
  for (Forward* forward : stopping) {
    forward->shutdown();
  }
  maybeFinishShutdown();
}

void Supervisor::addListener(SupervisorListener* listener) { listeners_.push_back(listener); }

void Supervisor::removeListener(SupervisorListener* listener) { std::erase(listeners_, listener); }

void Supervisor::onStateChanged(const Forward& forward, ForwardState previous,
                                const std::string& reason) {
  // A listener may remove itself while being told.
  std::vector<SupervisorListener*> listeners = listeners_;
  for (SupervisorListener* listener : listeners) {
    listener->onStateChanged(forward, previous, reason);
  }
}

void Supervisor::onLogLine(const Forward& forward, const LogLine& line) {
  std::vector<SupervisorListener*> listeners = listeners_;
  for (SupervisorListener* listener : listeners) {
    listener->onLogLine(forward, line);
  }
}

void Supervisor::onProbeChanged(const Forward& forward, const std::string& text) {
  std::vector<SupervisorListener*> listeners = listeners_;
  for (SupervisorListener* listener : listeners) {
    listener->onProbeChanged(forward, text);
  }
}

void Supervisor::onSwitched(const Forward& forward, const std::string& text) {
  std::vector<SupervisorListener*> listeners = listeners_;
  for (SupervisorListener* listener : listeners) {
    listener->onSwitched(forward, text);
  }
}

void Supervisor::onIdle(Forward& forward) {
  auto it = std::find_if(retiring_.begin(), retiring_.end(),
                         [&](const ForwardPtr& f) { return f.get() == &forward; });
  if (it == retiring_.end()) {
    return;
  }
  // The forward is inside its own callback: destroy it on the next turn of the loop.
  context_.dispatcher.post([released = std::move(*it)] {});
  retiring_.erase(it);
  if (!shutting_down_) {
    activatePending();
  }
  maybeFinishShutdown();
}

void Supervisor::maybeFinishShutdown() {
  if (shutting_down_ && retiring_.empty() && shutdown_done_) {
    auto done = std::move(shutdown_done_);
    shutdown_done_ = nullptr;
    done();
  }
}

}  // namespace pfd::core
