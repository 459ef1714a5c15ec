#include "daemon/core/pod_watch.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/core/kubectl_output.h"
#include "daemon/core/restart_policy.h"
#include "spdlog/spdlog.h"

namespace pfd::core {

class PodWatchHub::Watch {
 public:
  Watch(PodWatchHub& hub, PodWatchKey key)
      : hub_(hub),
        key_(std::move(key)),
        restart_timer_(hub.dispatcher_.createTimer([this] { start(); })) {
    if (hub.clusters_ != nullptr) {
      cluster_ = hub.clusters_->acquire(ClusterKey{key_.kubectl, key_.kubeconfig, key_.context});
    }
  }

  void add(uint64_t id, PodEventCallback on_event) {
    listeners_[id] = std::move(on_event);
    if (process_ == nullptr && !restart_timer_->enabled()) {
      start();
    }
  }
  void remove(uint64_t id) { listeners_.erase(id); }

  // Running and not listed yet, or about to start because its cluster answers again.
  bool listing() const {
    return (process_ != nullptr && !listed_) ||
           (cluster_wait_ != nullptr && cluster_ != nullptr && (*cluster_)->up());
  }
  uint64_t addListWaiter(std::function<void()> done) {
    const uint64_t id = hub_.next_id_++;
    list_waiters_[id] = std::move(done);
    return id;
  }
  void removeListWaiter(uint64_t id) { list_waiters_.erase(id); }
  bool unused() const { return listeners_.empty(); }

  std::optional<std::vector<PodInfo>> knownPods(const std::string& selector) const {
    // Before the list came, or while the API server is away, the table is not the namespace's.
    if (process_ == nullptr || !listed_ || (cluster_ != nullptr && !(*cluster_)->up())) {
      return std::nullopt;
    }
    std::vector<PodInfo> pods;
    for (const auto& [name, known] : pods_) {
      if (selectorMatches(selector, known.labels)) {
        pods.push_back(known.pod);
      }
    }
    return pods;
  }

 private:
  void start() {
    cluster_wait_.reset();
    if (cluster_ != nullptr && !(*cluster_)->up()) {
      waitForCluster(/*suspect=*/false, "");
      return;
    }
    auto process =
        hub_.launcher_.spawn({.argv = watchArgv(key_)},
                             {.on_line = [this](process::OutputStream stream,
                                                std::string_view line) { onLine(stream, line); },
                              .on_exit = [this](process::ExitStatus) { onExit(); }});
    if (!process.ok()) {
      spdlog::debug("pod watch for namespace {}: {}", key_.namespace_name,
                    std::string(process.status().message()));
      scheduleRestart();
      return;
    }
    process_ = std::move(*process);
    listed_ = false;
    last_error_.clear();
    pods_.clear();
  }

  void onLine(process::OutputStream stream, std::string_view line) {
    const absl::string_view text(line.data(), line.size());
    if (stream == process::OutputStream::kStderr) {
      onLogLine(text);
      return;
    }
    PodEvent event;
    if (!parsePodEvent(text, &event)) {
      return;
    }
    failures_ = 0;  // the watch works
    if (event.type == "DELETED") {
      pods_.erase(event.name);
    } else {
      pods_[event.name] = event;
    }
    // A listener may unregister (or a forward be destroyed) while being told.
    std::vector<PodEventCallback> listeners;
    for (const auto& [id, listener] : listeners_) {
      listeners.push_back(listener);
    }
    for (const PodEventCallback& listener : listeners) {
      listener(event);
    }
  }

  // kubectl -v=6 logs each request it makes; the watch request's answer means the list before it
  // was printed (to stdout, which is read in the same turn or earlier) and the watch is live.
  void onLogLine(absl::string_view line) {
    if (absl::StrContains(line, "watch=true") && absl::StrContains(line, "200 OK")) {
      hub_.dispatcher_.post([this, alive = std::weak_ptr<bool>(alive_), process = process_.get()] {
        if (!alive.expired() && process_.get() == process && process != nullptr) {
          listed_ = true;
          tellListWaiters();
        }
      });
      return;
    }
    KubectlLine parsed = classifyKubectlLine(line);
    if (!parsed.reason.empty()) {
      last_error_ = parsed.reason;
    }
  }

  void tellListWaiters() {
    std::map<uint64_t, std::function<void()>> waiters = std::move(list_waiters_);
    list_waiters_.clear();
    for (auto& [id, done] : waiters) {
      done();
    }
  }

  void onExit() {
    hub_.dispatcher_.post([released = std::move(process_)] {});
    listed_ = false;
    tellListWaiters();  // no list is coming from this one
    if (unused()) {
      return;
    }
    if (cluster_ != nullptr && (isClusterLevelReason(last_error_) || !(*cluster_)->up())) {
      waitForCluster(isClusterLevelReason(last_error_), last_error_);
      return;
    }
    scheduleRestart();
  }

  // The API server failed it, or is known to be away: one check for the whole cluster, and the
  // watch starts again the moment the server answers.
  void waitForCluster(bool suspect, const std::string& reason) {
    Cluster::WaitCallbacks callbacks;
    callbacks.forward = false;
    callbacks.on_up = [this](bool was_down) {
      cluster_wait_.reset();
      if (was_down) {
        failures_ = 0;
        start();
      } else {
        scheduleRestart();
      }
    };
    cluster_wait_ = suspect ? (*cluster_)->suspect(reason, std::move(callbacks))
                            : (*cluster_)->waitIfNotUp(std::move(callbacks));
    if (cluster_wait_ == nullptr) {
      scheduleRestart();
    }
  }

  void scheduleRestart() {
    static const BackoffSpec kWatchBackoff{
        .initial = Milliseconds(1000), .max = Milliseconds(30000), .multiplier = 2, .jitter = 0.2};
    restart_timer_->enable(restartDelay(kWatchBackoff, failures_++, hub_.random_()));
  }

  PodWatchHub& hub_;
  PodWatchKey key_;
  std::map<uint64_t, PodEventCallback> listeners_;
  std::map<uint64_t, std::function<void()>> list_waiters_;
  std::map<std::string, PodEvent> pods_;  // what the current watch has seen, by name
  bool listed_ = false;                   // the list came and the watch request is answered
  std::string last_error_;                // the current kubectl's best error line
  process::ProcessPtr process_;
  event::TimerPtr restart_timer_;
  int failures_ = 0;
  ClusterRefPtr cluster_;  // before the wait, which must go first
  Cluster::WaitPtr cluster_wait_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

PodWatchRegistration::~PodWatchRegistration() { hub_.unregister(key_, id_); }

namespace {

class ListWait : public PodWatchListWait {
 public:
  explicit ListWait(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  ~ListWait() override { cancel_(); }

 private:
  std::function<void()> cancel_;
};

}  // namespace

PodWatchListWaitPtr PodWatchHub::whenListed(const ForwardSpec& spec, std::function<void()> done) {
  const PodWatchKey key = PodWatchKey::of(spec);
  auto it = watches_.find(key);
  if (it == watches_.end() || !it->second->listing()) {
    return nullptr;
  }
  const uint64_t id = it->second->addListWaiter(std::move(done));
  return std::make_unique<ListWait>([this, key, id] {
    auto watch = watches_.find(key);
    if (watch != watches_.end()) {
      watch->second->removeListWaiter(id);
    }
  });
}

PodWatchHub::PodWatchHub(event::Dispatcher& dispatcher, process::ProcessLauncher& launcher,
                         std::function<double()> random)
    : dispatcher_(dispatcher), launcher_(launcher), random_(std::move(random)) {}

PodWatchHub::~PodWatchHub() = default;

PodWatchRegistrationPtr PodWatchHub::registerForward(const ForwardSpec& spec,
                                                     PodEventCallback on_event) {
  PodWatchKey key = PodWatchKey::of(spec);
  auto& watch = watches_[key];
  if (watch == nullptr) {
    watch = std::make_unique<Watch>(*this, key);
  }
  const uint64_t id = next_id_++;
  watch->add(id, std::move(on_event));
  return std::make_unique<PodWatchRegistration>(*this, std::move(key), id);
}

void PodWatchHub::unregister(const PodWatchKey& key, uint64_t id) {
  auto it = watches_.find(key);
  if (it == watches_.end()) {
    return;
  }
  it->second->remove(id);
  if (it->second->unused()) {
    // Possibly inside the watch's own callback: destroy it (and its kubectl) on the next turn.
    dispatcher_.post([released = std::move(it->second)] {});
    watches_.erase(it);
  }
}

std::optional<std::vector<PodInfo>> PodWatchHub::knownPods(const ForwardSpec& spec,
                                                           const std::string& selector) const {
  auto it = watches_.find(PodWatchKey::of(spec));
  if (it == watches_.end()) {
    return std::nullopt;
  }
  return it->second->knownPods(selector);
}

std::vector<std::string> PodWatchHub::watchArgv(const PodWatchKey& key) {
  std::vector<std::string> argv = {
      key.kubectl, "get", "pods", "--watch", "--output-watch-events",
      // Logs each request with its answer: the watch request's says the list is complete.
      "-v=6", "--namespace", key.namespace_name, "-o",
      // One token per field: kubectl pads the columns with spaces, and "<no value>" has one.
      R"(go-template={{.type}}{{"\t"}}{{.object.metadata.name}}{{"\t"}})"
      R"({{if .object.metadata.deletionTimestamp}}terminating{{else}}live{{end}}{{"\t"}})"
      R"({{with .object.status.phase}}{{.}}{{else}}Unknown{{end}}{{"\t"}}ready=)"
      R"({{range .object.status.conditions}}{{if eq .type "Ready"}}{{.status}}{{end}}{{end}})"
      R"({{"\t"}}labels={{range $k, $v := .object.metadata.labels}}{{$k}}={{$v}},{{end}})"
      R"({{"\t"}}created={{.object.metadata.creationTimestamp}}{{"\t"}}ports=)"
      R"({{range .object.spec.containers}}{{range .ports}}{{.name}}={{.containerPort}},{{end}}{{end}})"
      R"({{"\n"}})"};
  if (!key.context.empty()) {
    argv.insert(argv.end(), {"--context", key.context});
  }
  if (!key.kubeconfig.empty()) {
    argv.insert(argv.end(), {"--kubeconfig", key.kubeconfig});
  }
  return argv;
}

bool parsePodEvent(absl::string_view line, PodEvent* event) {
  std::vector<absl::string_view> fields =
      absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (fields.size() < 3) {
    return false;
  }
  event->type = std::string(fields[0]);
  event->name = std::string(fields[1]);
  event->terminating = fields[2] == "terminating";
  const bool running = fields.size() > 3 && fields[3] == "Running";
  const bool ready = fields.size() > 4 && fields[4] == "ready=True";
  event->running_and_ready = running && ready;
  event->labels.clear();
  event->pod = PodInfo{.name = event->name,
                       .terminating = event->terminating,
                       .phase = fields.size() > 3 ? std::string(fields[3]) : "",
                       .ready = ready};
  for (size_t i = 5; i < fields.size(); ++i) {
    absl::string_view field = fields[i];
    if (absl::ConsumePrefix(&field, "labels=")) {
      for (absl::string_view pair : absl::StrSplit(field, ',', absl::SkipEmpty())) {
        std::pair<std::string, std::string> label = absl::StrSplit(pair, absl::MaxSplits('=', 1));
        event->labels[label.first] = label.second;
      }
    } else if (absl::ConsumePrefix(&field, "created=")) {
      event->pod.created = std::string(field);
    } else if (absl::ConsumePrefix(&field, "ports=")) {
      for (absl::string_view port : absl::StrSplit(field, ',', absl::SkipEmpty())) {
        std::pair<std::string, std::string> named = absl::StrSplit(port, absl::MaxSplits('=', 1));
        if (!named.first.empty()) {
          event->pod.named_ports[named.first] = named.second;
        }
      }
    }
  }
  return true;
}

}  // namespace pfd::core
