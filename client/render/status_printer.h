#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/render/table_line.h"
#include "pfd/v1/control.pb.h"

namespace pfd::client {

enum class OutputFormat { kTable, kWide, kJson };

// "table", "wide" or "json" (what `-o` accepts).
absl::StatusOr<OutputFormat> parseOutputFormat(absl::string_view name);

// Prints a ListForwards answer to `out` as `format`. `style` is the terminal's (colour, width);
// the wide view never cuts lines and JSON is never coloured. A stale config gets a warning on
// `err` after the table, and "No forwards" goes to `err` too, so that `out` stays parseable.
absl::Status printStatus(const pfd::v1::ListForwardsResponse& response, OutputFormat format,
                         const TableStyle& style, absl::Time now, std::ostream& out,
                         std::ostream& err);

// The warning for a config file that changed on disk but could not be loaded; empty when the
// running config is current.
std::string staleConfigWarning(const pfd::v1::ConfigStatus& config);

// "API server of context kind-dev unreachable for 42s: connection refused on 127.0.0.1:6443; 12 of
// 12 forwards waiting for it"; "" for a cluster that is not down.
std::string clusterLine(const pfd::v1::Cluster& cluster, absl::Time now);

}  // namespace pfd::client
