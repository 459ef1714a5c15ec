#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "pfd/v1/control.pb.h"

namespace pfd::client {

// What `pfctl watch` shows on a terminal: one row per forward, kept current from the Watch stream
// (state changes) and a ListForwards refresh (connection counters, for bytes/s), laid out as a
// full screen of a given size. Pure: no terminal I/O, so unit tests check frames as text.
class LiveView {
 public:
  // A state change (or the snapshot's rows) from the Watch stream.
  void apply(const pfd::v1::ForwardEvent& event);
  // The forwards as ListForwards lists them at `now`: counters and bytes/s; forwards gone from the
  // list (removed by a reload) leave the view. Its clusters replace the footer's cluster health
  // (the Watch stream does not carry them; `pfctl watch` refreshes every second).
  void refresh(const pfd::v1::ListForwardsResponse& response, absl::Time now);

  void moveSelection(int delta);
  std::optional<std::string> selectedName() const;
  // A line under the table until the next one: "restarting web", or an error.
  void setMessage(std::string message) { message_ = std::move(message); }
  size_t size() const { return rows_.size(); }

  // "12 ready, 1 backoff, 187 idle".
  std::string totals() const;

  // The health of the clusters the last refresh listed, for the footer: "" while none is down,
  // else "cluster kind-dev down for 12s: connection refused on 127.0.0.1:6443 (next check in 1s)"
  // and ", 2 more clusters down" when it is not the only one.
  std::string clusterHealth(absl::Time now) const;

  // The screen, `height` lines each at most `width` columns (colour codes aside), without line
  // ends. The selected row is marked ">" (and shown reversed when `color`); rows scroll to keep
  // it visible.
  std::vector<std::string> frame(size_t width, size_t height, bool color, absl::Time now);

 private:
  struct Entry {
    pfd::v1::Forward forward;
    std::string reason;
    std::optional<double> bytes_per_second;
    uint64_t sampled_bytes = 0;
    std::optional<absl::Time> sampled_at;
  };
  Entry& entryFor(const std::string& name);

  std::vector<Entry> rows_;
  std::vector<pfd::v1::Cluster> clusters_;
  size_t selected_ = 0;
  size_t top_ = 0;  // the first row shown
  std::string message_;
};

// "1.2 MB/s"; "-" for a forward whose ports pfd does not hold.
std::string rateText(std::optional<double> bytes_per_second);

}  // namespace pfd::client
