#include "daemon/core/target_resolver.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/child_command.h"
#include "daemon/core/kubectl_output.h"

namespace pfd::core {

namespace {
constexpr absl::string_view kNoPodPayload = "pfd.dev/no-pod-running";
}  // namespace

bool noPodRunning(const absl::Status& status) {
  return status.GetPayload(kNoPodPayload).has_value();
}

bool needsResolution(const ForwardSpec& spec) {
  if (spec.isCommand()) {
    return false;
  }
  const std::string& target = spec.target;
  if (target.find('/') == std::string::npos) {
    return false;  // a bare name is a pod
  }
  for (absl::string_view prefix : {"pod/", "pods/", "po/"}) {
    if (absl::StartsWithIgnoreCase(target, prefix)) {
      return false;
    }
  }
  return true;
}

TargetResolver::TargetResolver(event::Dispatcher& dispatcher, process::ProcessLauncher& launcher,
                               PodWatchHub* pod_watches, const ForwardSpec& spec,
                               std::optional<TargetObject>& cache, Done done)
    : dispatcher_(dispatcher),
      launcher_(launcher),
      pod_watches_(pod_watches),
      spec_(spec),
      cache_(cache),
      done_(std::move(done)),
      watch_deadline_(dispatcher.createTimer([this] { onWatchListed(); })) {}

void TargetResolver::start() {
  if (!cache_.has_value()) {
    getTarget();
    return;
  }
  findPods();
}

void TargetResolver::findPods() {
  if (pod_watches_ != nullptr) {
    if (auto pods = pod_watches_->knownPods(spec_, cache_->selector); pods.has_value()) {
      choose(*pods);  // the watch already knows the namespace's pods: no kubectl round trip
      return;
    }
    watch_wait_ = pod_watches_->whenListed(spec_, [this] { onWatchListed(); });
    if (watch_wait_ != nullptr) {
      watch_deadline_->enable(std::chrono::seconds(2));
      return;
    }
  }
  getPods();
}

void TargetResolver::onWatchListed() {
  // Possibly inside the watch's own callback: the wait goes on the next turn.
  dispatcher_.post([released = std::move(watch_wait_)] {});
  watch_deadline_->disable();
  if (cancelled_) {
    return;
  }
  if (auto pods = pod_watches_->knownPods(spec_, cache_->selector); pods.has_value()) {
    choose(*pods);
    return;
  }
  getPods();
}

void TargetResolver::runKubectl(std::vector<std::string> args,
                                std::function<void(const Run&, process::ExitStatus)> finished,
                                process::ProcessLauncher* launcher) {
  run_ = Run{};
  // The previous kubectl may be calling us from its exit callback: release it on the next turn.
  dispatcher_.post([released = std::move(process_)] {});
  std::vector<std::string> argv = {spec_.kubectl};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> scope = kubectlScopeArgs(spec_);
  argv.insert(argv.end(), scope.begin(), scope.end());
  auto process =
      (launcher != nullptr ? *launcher : launcher_)
          .spawn({.argv = std::move(argv)},
                 {.on_line =
                      [this](process::OutputStream stream, std::string_view line) {
                        if (stream == process::OutputStream::kStdout) {
                          absl::StrAppend(&run_.out, absl::string_view(line.data(), line.size()),
                                          "\n");
                          return;
                        }
                        KubectlLine parsed =
                            classifyKubectlLine(absl::string_view(line.data(), line.size()));
                        if (!parsed.reason.empty()) {
                          run_.error = parsed.reason;
                        }
                      },
                  .on_exit =
                      [this, finished = std::move(finished)](process::ExitStatus status) {
                        if (!cancelled_) {
                          finished(run_, status);
                        }
                      }});
  if (!process.ok()) {
    done_(process.status());
    return;
  }
  process_ = std::move(*process);
}

void TargetResolver::getTarget() {
  runKubectl(
      {"get", spec_.target, "-o", "go-template=" + targetObjectTemplate()},
      [this](const Run& run, process::ExitStatus status) {
        if (status.exit_code != 0 || status.term_signal != 0) {
          fail(absl::UnavailableError(run.error.empty()
                                          ? absl::StrCat("kubectl get ", spec_.target, " failed")
                                          : run.error));
          return;
        }
        auto object = parseTargetObject(run.out);
        if (!object.ok()) {
          fail(object.status());
          return;
        }
        cache_ = *object;
        if (target_only_) {
          done_(Resolution{});
          return;
        }
        findPods();
      },
      shared_launcher_);
}

void TargetResolver::fetchTarget() {
  target_only_ = true;
  getTarget();
}

void TargetResolver::getPods() {
  runKubectl(
      {"get", "pods", "-l", cache_->selector, "-o", "go-template=" + podListTemplate()},
      [this](const Run& run, process::ExitStatus status) {
        if (status.exit_code != 0 || status.term_signal != 0) {
          fail(absl::UnavailableError(
              run.error.empty() ? absl::StrCat("kubectl get pods -l ", cache_->selector, " failed")
                                : run.error));
          return;
        }
        choose(parsePodList(run.out));
      });
}

void TargetResolver::choose(const std::vector<PodInfo>& pods) {
  auto pod = choosePod(pods, spec_.target);
  if (!pod.ok()) {
    absl::Status no_pod = absl::UnavailableError(pod.status().message());
    no_pod.SetPayload(kNoPodPayload, absl::Cord("true"));
    fail(std::move(no_pod), /*keep_cache=*/true);
    return;
  }
  auto ports = podPorts(spec_.ports, *cache_, *pod);
  if (!ports.ok()) {
    fail(ports.status());
    return;
  }
  done_(Resolution{.pod = pod->name, .ports = std::move(*ports), .pods = pods});
}

void TargetResolver::fail(absl::Status status, bool keep_cache) {
  // When the API server failed, nothing says the object changed: its next start (all forwards
  // of the cluster at once, when it is back) need not ask for it again.
  if (!keep_cache && !isClusterLevelReason(status.message())) {
    // The next attempt asks for the object again: it may have been recreated or changed.
    cache_.reset();
  }
  if (!absl::IsUnavailable(status)) {
    // Whatever kubectl or the cluster said, the cluster can change: these are worth retrying.
    status = absl::UnavailableError(status.message());
  }
  done_(std::move(status));
}

void TargetResolver::cancel() {
  cancelled_ = true;
  process_.reset();
  watch_wait_.reset();
  watch_deadline_->disable();
}

}  // namespace pfd::core
