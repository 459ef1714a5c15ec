#include "client/render/status_printer.h"

#include "absl/strings/str_cat.h"
#include "client/render/duration_format.h"
#include "client/render/forward_columns.h"
#include "client/render/json_output.h"
#include "client/render/proto_time.h"
#include "client/render/table.h"

namespace pfd::client {

absl::StatusOr<OutputFormat> parseOutputFormat(absl::string_view name) {
  if (name == "table") {
    return OutputFormat::kTable;
  }
  if (name == "wide") {
    return OutputFormat::kWide;
  }
  if (name == "json") {
    return OutputFormat::kJson;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown output format \"", name, "\"; use table, wide or json"));
}

std::string staleConfigWarning(const pfd::v1::ConfigStatus& config) {
  if (!config.stale()) {
    return "";
  }
  const std::string path = config.path().empty() ? "the config file" : config.path();
  if (config.pending()) {
    return absl::StrCat("warning: ", path,
                        " changed on disk; pfd still runs the previous config because "
                        "reloadOnChange is false: run 'pfctl reload' to apply it");
  }
  const std::string error = config.error().empty() ? "no reason given" : config.error();
  return absl::StrCat("warning: ", path,
                      " changed but could not be loaded, so pfd still runs the previous config: ",
                      error, "; fix the file and run 'pfctl reload'");
}

std::string clusterLine(const pfd::v1::Cluster& cluster, absl::Time now) {
  if (cluster.state() != pfd::v1::CLUSTER_STATE_DOWN) {
    return "";
  }
  const std::string context = cluster.context().empty()
                                  ? "the current context"
                                  : absl::StrCat("context ", cluster.context());
  std::string line = absl::StrCat("API server of ", context, " unreachable");
  if (cluster.has_since()) {
    absl::StrAppend(&line, " for ", humanDuration(now - fromProto(cluster.since())));
  }
  absl::StrAppend(&line, ": ", cluster.reason(), "; ", cluster.waiting(), " of ",
                  cluster.forwards(), " forwards waiting for it");
  return line;
}

absl::Status printStatus(const pfd::v1::ListForwardsResponse& response, OutputFormat format,
                         const TableStyle& style, absl::Time now, std::ostream& out,
                         std::ostream& err) {
  if (format == OutputFormat::kJson) {
    absl::StatusOr<std::string> json = toJson(response);
    if (!json.ok()) {
      return json.status();
    }
    out << *json << '\n';
  } else if (response.forwards().empty()) {
    err << "No forwards";
    if (!response.config().path().empty()) {
      err << " in " << response.config().path();
    }
    err << ".\n";
  } else {
    // A cluster that is down explains many rows at once: it comes first.
    for (const pfd::v1::Cluster& cluster : response.clusters()) {
      const std::string line = clusterLine(cluster, now);
      if (!line.empty()) {
        out << line << '\n';
      }
    }
    const TableView view = format == OutputFormat::kWide ? TableView::kWide : TableView::kTable;
    Table table(forwardHeader(view));
    for (const pfd::v1::Forward& forward : response.forwards()) {
      table.addRow(forwardRow(forward, view, now));
    }
    TableStyle table_style = style;
    if (view == TableView::kWide) {
      table_style.max_width.reset();
    }
    table.print(out, table_style);
  }
  const std::string warning = staleConfigWarning(response.config());
  if (!warning.empty()) {
    // After the table, so that it is the last thing a user reads; out first, or a terminal could
    // show the two streams out of order.
    out.flush();
    err << warning << '\n';
  }
  return absl::OkStatus();
}

}  // namespace pfd::client
