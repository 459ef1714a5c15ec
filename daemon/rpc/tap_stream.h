#pragma once

#include <memory>
#include <string>

#include "daemon/core/forward.h"
#include "daemon/core/tap_hub.h"
#include "daemon/rpc/loop_stream_writer.h"
#include "daemon/rpc/tap_queue.h"
#include "pfd/v1/control.pb.h"

namespace pfd::rpc {

// One `pfctl tap`: a sink on a forward's TapHub that feeds a LoopStreamWriter. At most one
// message is in flight; events that come meanwhile wait in a bounded TapQueue and go out as one
// batch when the write completes, so a client that keeps up sees each chunk at once and one that
// does not costs pfd at most two queue limits (the batch in flight, the one waiting). Loop only.
class TapStream : public core::TapSink {
 public:
  using Writer = LoopStreamWriter<v1::TapMessage>;

  // Attaches to `forward` and sends the first message; on an error the stream is finished with it
  // and nothing stays attached. `on_finishing` runs once when the stream finishes, either way.
  static void start(Writer* writer, core::Forward& forward, const core::TapFilter& filter,
                    std::function<void()> on_finishing);

  void onChunk(const core::TapChunk& chunk) override;
  void onConnection(const core::TapConnectionEvent& event) override;
  void onTapEnded(const std::string& reason) override;

  TapStream(Writer* writer, core::Forward& forward) : writer_(writer), forward_(&forward) {}

 private:
  void flush();
  // The writer finishes (the client left, the daemon exits, or onTapEnded): detach.
  void detach();

  Writer* writer_;
  core::Forward* forward_;  // null once detached
  TapQueue queue_;
};

}  // namespace pfd::rpc
