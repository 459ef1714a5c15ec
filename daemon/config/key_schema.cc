#include "daemon/config/key_schema.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"

namespace pfd::config {
namespace {

constexpr std::array<KeySpec, 2> kHttpHeaderKeys{{{"name"}, {"value"}}};
constexpr MappingShape kHttpHeaderShape{"an HTTP header", kHttpHeaderKeys};

constexpr std::array<KeySpec, 5> kHttpGetKeys{{
    {"path"},
    {"port"},
    {"scheme"},
    {"httpHeaders", &kHttpHeaderShape, true},
    {"insecureSkipVerify"},
}};
constexpr MappingShape kHttpGetShape{"an httpGet probe", kHttpGetKeys};

constexpr std::array<KeySpec, 1> kTcpSocketKeys{{{"port"}}};
constexpr MappingShape kTcpSocketShape{"a tcpSocket probe", kTcpSocketKeys};

constexpr std::array<KeySpec, 1> kExecKeys{{{"command"}}};
constexpr MappingShape kExecShape{"an exec probe", kExecKeys};

constexpr std::array<KeySpec, 8> kProbeKeys{{
    {"httpGet", &kHttpGetShape},
    {"tcpSocket", &kTcpSocketShape},
    {"exec", &kExecShape},
    {"initialDelaySeconds"},
    {"periodSeconds"},
    {"timeoutSeconds"},
    {"successThreshold"},
    {"failureThreshold"},
}};
constexpr MappingShape kProbeShape{"a readiness probe", kProbeKeys};

constexpr std::array<KeySpec, 5> kBackoffKeys{{
    {"initial"},
    {"max"},
    {"multiplier"},
    {"jitter"},
    {"resetAfter"},
}};
constexpr MappingShape kBackoffShape{"a backoff mapping", kBackoffKeys};

constexpr std::array<KeySpec, 17> kDefaultsKeys{{
    {"kubectl"},
    {"kubeconfig"},
    {"context"},
    {"namespace"},
    {"address"},
    {"backoff", &kBackoffShape},
    {"startTimeout"},
    {"requestTimeout"},
    {"readiness", &kProbeShape},
    {"holdPort"},
    {"holdTimeout"},
    {"drainTimeout"},
    {"replayBuffer"},
    {"start"},
    {"idleTimeout"},
    {"notify"},
    {"notifyAfter"},
}};
constexpr MappingShape kDefaultsShape{"the defaults mapping", kDefaultsKeys};

constexpr std::array<KeySpec, 22> kForwardKeys{{
    {"name"},
    {"target"},
    {"command"},
    {"ports"},
    {"kubectl"},
    {"kubeconfig"},
    {"context"},
    {"namespace"},
    {"address"},
    {"enabled"},
    {"backoff", &kBackoffShape},
    {"startTimeout"},
    {"requestTimeout"},
    {"readiness", &kProbeShape},
    {"holdPort"},
    {"holdTimeout"},
    {"drainTimeout"},
    {"replayBuffer"},
    {"start"},
    {"idleTimeout"},
    {"notify"},
    {"notifyAfter"},
}};
constexpr MappingShape kForwardShape{"a forward", kForwardKeys};

constexpr std::array<KeySpec, 2> kMetricsKeys{{{"address"}, {"allowRemote"}}};
constexpr MappingShape kMetricsShape{"the metrics mapping", kMetricsKeys};

constexpr std::array<KeySpec, 4> kTopLevelKeys{{
    {"reloadOnChange"},
    {"metrics", &kMetricsShape},
    {"defaults", &kDefaultsShape},
    {"forwards", &kForwardShape, true},
}};
constexpr MappingShape kTopLevelShape{"the top level", kTopLevelKeys};

void collectPaths(const MappingShape& shape, const std::string& prefix,
                  std::vector<std::string>& paths) {
  for (const KeySpec& key : shape.keys) {
    std::string path = prefix.empty() ? std::string(key.name) : absl::StrCat(prefix, ".", key.name);
    paths.push_back(path);
    if (key.mapping != nullptr) {
      collectPaths(*key.mapping, key.list_of_mappings ? absl::StrCat(path, "[]") : path, paths);
    }
  }
}

}  // namespace

const KeySpec* MappingShape::find(absl::string_view key) const {
  auto found = std::find_if(keys.begin(), keys.end(),
                            [key](const KeySpec& spec) { return spec.name == key; });
  return found == keys.end() ? nullptr : &*found;
}

const MappingShape& topLevelShape() { return kTopLevelShape; }

std::vector<std::string> acceptedKeyPaths() {
  std::vector<std::string> paths;
  collectPaths(kTopLevelShape, "", paths);
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace pfd::config
