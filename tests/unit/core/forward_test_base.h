#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/core/forward.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_prober.h"
#include "tests/fakes/fake_process_launcher.h"
#include "tests/fakes/fake_relay.h"
#include "tests/fakes/simulated_dispatcher.h"

namespace pfd::core {

struct Transition {
  std::string name;
  ForwardState from;
  ForwardState to;
  std::string reason;
};

class RecordingObserver : public ForwardObserver {
 public:
  void onStateChanged(const Forward& forward, ForwardState previous,
                      const std::string& reason) override {
    transitions.push_back({forward.name(), previous, forward.state(), reason});
  }
  void onLogLine(const Forward&, const LogLine& line) override { lines.push_back(line); }
  void onIdle(Forward&) override { idle_calls++; }
  void onSwitched(const Forward&, const std::string& text) override { switches.push_back(text); }

  std::vector<ForwardState> states() const {
    std::vector<ForwardState> result;
    for (const Transition& t : transitions) {
      result.push_back(t.to);
    }
    return result;
  }

  std::vector<Transition> transitions;
  std::vector<LogLine> lines;
  std::vector<std::string> switches;
  int idle_calls = 0;
};

// A forward driven by a simulated clock, fake children and fake probes.
class ForwardTestBase : public ::testing::Test {
 protected:
  static ForwardSpec kubectlSpec() {
    // A pod target: kubectl runs at once. Workload targets are resolved first (see
    // forward_resolution_test.cc).
    ForwardSpec spec{.name = "web", .target = "pod/web-1", .ports = {{8080, "8000"}}};
    spec.backoff.jitter = 0;  // exact delays; jitter has its own tests
    spec.start_timeout = std::chrono::seconds(30);
    return spec;
  }

  std::unique_ptr<Forward> makeForward(ForwardSpec spec) {
    return std::make_unique<Forward>(std::move(spec), context_, observer_);
  }

  // The running fake kubectl (a `kubectl get`) prints `out` and exits 0.
  void answer(const std::string& out) {
    auto child = launcher_.last();
    for (absl::string_view line : absl::StrSplit(absl::StripSuffix(out, "\n"), '\n')) {
      child->print(std::string(line));
    }
    child->exit(0);
    dispatcher_.runPosted();
  }

  // The pod watch's kubectl (run with -v=6) logs the answer to its watch request: it has listed
  // the namespace.
  void listed(testing::FakeChild& watch) {
    watch.printError(
        "I1203 10:00:00.000000 1 round_trippers.go:553] GET "
        "https://127.0.0.1:6443/api/v1/namespaces/default/pods?resourceVersion=1&watch=true "
        "200 OK in 1 milliseconds");
    dispatcher_.runPosted();
  }
  // A resolution that waits for a pod watch still listing gives up on it after 2 s and asks
  // `kubectl get pods` instead.
  void pastTheListingWait() { dispatcher_.advance(std::chrono::seconds(2)); }

  // Where the fake kubectl of a forward with held ports listens: spec.ports[i] is
  // kFirstUpstreamPort + i.
  static constexpr uint16_t kFirstUpstreamPort = 40001;

  // The running child prints kubectl's ready line for every port of `spec`: the local port, or
  // with held ports the ephemeral one it took.
  static void printForwarding(testing::FakeChild& child, const ForwardSpec& spec,
                              uint16_t first_upstream = kFirstUpstreamPort) {
    for (size_t i = 0; i < spec.ports.size(); ++i) {
      const PortSpec& port = spec.ports[i];
      const uint16_t listening =
          spec.holdsPorts() ? static_cast<uint16_t>(first_upstream + i) : port.local;
      child.print("Forwarding from 127.0.0.1:" + std::to_string(listening) + " -> " +
                  (port.remote.empty() ? std::to_string(port.local) : port.remote));
    }
  }

  testing::SimulatedDispatcher dispatcher_;
  testing::FakeProcessLauncher launcher_{dispatcher_};
  testing::FakeProber prober_;
  double random_ = 0.0;
  std::map<uint16_t, std::string> port_owners_;  // who listens on a local port; none by default
  testing::FakeRelay relay_;
  ForwardContext context_{
      .dispatcher = dispatcher_,
      .launcher = launcher_,
      .prober = prober_,
      .random = [this] { return random_; },
      .find_port_owner =
          [this](const std::string&, uint16_t port, std::function<void(std::string)> done) {
            done(port_owners_[port]);
            return PortOwnerQueryPtr();
          },
      .relay = &relay_};
  RecordingObserver observer_;
};

}  // namespace pfd::core
