#pragma once

#include "daemon/core/forward.h"
#include "daemon/event/dispatcher.h"
#include "pfd/v1/control.pb.h"

namespace pfd::rpc {

// A forward in full for DescribeForward: its status as ListForwards gives it, plus its spec's
// settings, its child's command line, its probe's last results and its event history.
void toDescription(const core::Forward& forward, event::MonotonicTime now,
                   v1::DescribeForwardResponse* out);

}  // namespace pfd::rpc
