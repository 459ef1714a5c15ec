#include "daemon/config/held_ports_parser.h"

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "daemon/config/status_macros.h"

namespace pfd::config {
namespace {

using Start = core::ForwardSpec::Start;

// In the order of kStarts.
constexpr std::array<absl::string_view, 2> kStartNames{"always", "onDemand"};
constexpr std::array<Start, 2> kStarts{Start::kAlways, Start::kOnDemand};

// The relay keeps up to this many client bytes per connection; past it a typo ("64Gi") would
// let a few connections take the machine's memory.
constexpr uint64_t kMaxReplayBuffer = uint64_t{16} << 20;

// Settings that mean something only when pfd holds the ports; a command forward setting them is
// a mistake, as a kubectl-only key is.
constexpr std::array<absl::string_view, 4> kHeldPortOnlyKeys{"holdTimeout", "drainTimeout",
                                                             "replayBuffer", "idleTimeout"};

absl::Status readStart(const MappingReader& reader, Start& start) {
  size_t index = start == Start::kOnDemand ? 1 : 0;
  PFD_RETURN_IF_ERROR(reader.readChoice("start", kStartNames, "a start mode", index));
  start = kStarts[index];
  return absl::OkStatus();
}

}  // namespace

absl::Status readHeldPorts(const MappingReader& reader, core::ForwardSpec& spec) {
  PFD_RETURN_IF_ERROR(reader.readBool("holdPort", spec.hold_port));
  // Zero means something for each of these timeouts: close a waiting connection at once, stop
  // the old pod's kubectl as soon as the new one serves, never stop an idle forward.
  PFD_RETURN_IF_ERROR(reader.readDuration("holdTimeout", spec.hold_timeout));
  PFD_RETURN_IF_ERROR(reader.readDuration("drainTimeout", spec.drain_timeout));
  PFD_RETURN_IF_ERROR(reader.readByteSize("replayBuffer", kMaxReplayBuffer, spec.replay_buffer));
  PFD_RETURN_IF_ERROR(readStart(reader, spec.start));
  PFD_RETURN_IF_ERROR(reader.readDuration("idleTimeout", spec.idle_timeout));

  if (spec.start == Start::kOnDemand && !spec.hold_port) {
    // Point at whichever of the two this mapping sets; the other may be inherited.
    if (reader.has("start")) {
      return reader.errorAt(
          "start", absl::StrCat("onDemand needs ports that pfd holds, but holdPort is false",
                                reader.has("holdPort") ? "" : " (from defaults)",
                                "; set holdPort: true, or write start: always"));
    }
    return reader.errorAt("holdPort",
                          "is false, but start is onDemand (from defaults), which needs ports "
                          "that pfd holds; remove holdPort: false, or write start: always");
  }
  return absl::OkStatus();
}

absl::Status checkCommandHoldsNoPorts(const MappingReader& forward) {
  bool hold_port = false;
  PFD_RETURN_IF_ERROR(forward.readBool("holdPort", hold_port));
  if (hold_port) {
    return forward.errorAt("holdPort",
                           "is true, but a command forward always binds its own ports, so pfd "
                           "cannot hold them; remove it");
  }
  Start start = Start::kAlways;
  PFD_RETURN_IF_ERROR(readStart(forward, start));
  if (start == Start::kOnDemand) {
    return forward.errorAt("start",
                           "onDemand needs ports that pfd holds, but a command forward binds its "
                           "own ports; remove it, or write start: always");
  }
  for (absl::string_view key : kHeldPortOnlyKeys) {
    if (forward.has(key)) {
      return forward.errorAt(key,
                             "only applies to ports that pfd holds, but this forward runs a "
                             "command, which binds its own ports; remove it");
    }
  }
  return absl::OkStatus();
}

}  // namespace pfd::config
