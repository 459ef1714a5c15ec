// Feeds arbitrary text to the parsers of what kubectl prints for pfd's go-templates (a target's
// selector and service ports, a pod list, the lines of the pod watch), then through pod choice,
// port translation and label selector matching, as target_resolver.cc and forward_switch.cc chain
// them.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "daemon/core/forward_spec.h"
#include "daemon/core/pod_listing.h"
#include "daemon/core/pod_watch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const std::map<std::string, std::string> labels = {
      {"app", "web"}, {"env", "prod"}, {"tier", ""}, {"app.kubernetes.io/name", "web"}};

  const std::vector<pfd::core::PodInfo> pods = pfd::core::parsePodList(text);
  (void)pfd::core::choosePod(pods, "deployment/web");
  (void)pfd::core::selectorMatches(text, labels);

  const absl::StatusOr<pfd::core::TargetObject> target = pfd::core::parseTargetObject(text);
  if (target.ok()) {
    (void)pfd::core::selectorMatches(target->selector, labels);
    const std::vector<pfd::core::PortSpec> ports = {{8080, "80"}, {8081, "http"}, {8082, "0"}};
    for (const pfd::core::PodInfo& pod : pods) {
      (void)pfd::core::podPorts(ports, *target, pod);
    }
    for (const pfd::core::PodInfo& pod : pods) {
      (void)pfd::core::selectorMatches(target->selector, pod.named_ports);
    }
  }

  std::vector<pfd::core::PodInfo> watched;
  for (const absl::string_view line : absl::StrSplit(text, '\n')) {
    pfd::core::PodEvent event;
    if (pfd::core::parsePodEvent(line, &event)) {
      (void)pfd::core::selectorMatches(target.ok() ? target->selector : text, event.labels);
      watched.push_back(event.pod);
    }
  }
  (void)pfd::core::choosePod(watched, "deployment/web");
  return 0;
}
