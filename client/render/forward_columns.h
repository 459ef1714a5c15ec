#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/render/table_line.h"
#include "pfd/v1/control.pb.h"

namespace pfd::client {

// Which columns a forward table shows.
enum class TableView {
  kTable,  // pfctl status
  kWide,   // pfctl status -o wide: adds NAMESPACE, CONTEXT, PID, NEXT RETRY, PROBE, CONNECTIONS,
           // TRAFFIC
  kWatch,  // pfctl watch: the table plus REASON
};

// Shown for a value the daemon does not know or that does not apply, as kubectl does.
inline constexpr char kNone[] = "<none>";

// `value`, or kNone when it is empty.
std::string orNone(const std::string& value);

std::vector<std::string> forwardHeader(TableView view);

// One table row for `forward`; `now` places NEXT RETRY (and AGE when only state_since is known).
Row forwardRow(const pfd::v1::Forward& forward, TableView view, absl::Time now);

// One `pfctl watch` row: the forward after the change and the event's reason.
Row eventRow(const pfd::v1::ForwardEvent& event, absl::Time now);

// READY, BACKOFF...: the enum name without its FORWARD_STATE_ prefix.
std::string stateName(pfd::v1::ForwardState state);
Color stateColor(pfd::v1::ForwardState state);

// The kubectl target, or the command of a command forward joined into one shell-like line.
std::string targetText(const pfd::v1::Forward& forward);

// "8080:8000,9090": local:remote, or one number when both are the same.
std::string portsText(const pfd::v1::Forward& forward);

// Time in the current state: the daemon's time_in_state, else now - state_since.
std::string ageText(const pfd::v1::Forward& forward, absl::Time now);

// "in 3s" while a restart is scheduled, "now" once it is due, else <none>.
std::string nextRetryText(const pfd::v1::Forward& forward, absl::Time now);

// The last readiness probe, its latency and when it ran: "ok 3ms 4s ago" when it passed, its
// message ("HTTP 503 12ms 4s ago") when it failed.
std::string probeText(const pfd::v1::Forward& forward, absl::Time now);

// The pod; during a switch "web-1 -> web-2" (the one that serves, the one it switches to); for
// an IDLE forward "(idle, last served 5m ago)".
std::string podText(const pfd::v1::Forward& forward, absl::Time now);

// The held ports' connections: "2 open, 1 waiting, 40 total, 3 dropped, waited p50 80ms p99 1.2s";
// <none> when pfd does not hold the forward's ports.
std::string connectionsText(const pfd::v1::Forward& forward);

// "1.2 MB in, 15 MB out" through the held ports; <none> when pfd does not hold them.
std::string trafficText(const pfd::v1::Forward& forward);

}  // namespace pfd::client
