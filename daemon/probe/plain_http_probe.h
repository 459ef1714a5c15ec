#pragma once

#include <functional>
#include <string>

#include "daemon/core/forward_spec.h"
#include "daemon/event/libuv_dispatcher.h"
#include "daemon/probe/prober.h"

namespace pfd::probe {

// An httpGet probe over plain HTTP, on the loop's own TCP handles: connect, send the request
// (http_wire.h), read the response until the status is known and the body is read or capped,
// close. libcurl would do the same with about three times the system calls and allocations per
// probe; it stays for HTTPS (curl_http_probe.h).
ProbeHandlePtr startPlainHttpProbe(event::LibuvDispatcher& dispatcher, const core::ProbeSpec& spec,
                                   const std::string& address,
                                   std::function<void(ProbeResult)> done);

}  // namespace pfd::probe
