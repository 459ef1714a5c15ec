#include "daemon/rpc/tap_stream.h"

#include <utility>

#include "daemon/rpc/control_service.h"

namespace pfd::rpc {

void TapStream::start(Writer* writer, core::Forward& forward, const core::TapFilter& filter,
                      std::function<void()> on_finishing) {
  auto stream = std::make_shared<TapStream>(writer, forward);
  if (absl::Status attached = forward.tap(stream.get(), filter); !attached.ok()) {
    writer->setOnFinishing(std::move(on_finishing));
    writer->finish(toGrpcStatus(attached));
    return;
  }
  v1::TapMessage first;
  first.mutable_attached()->set_name(forward.name());
  for (const core::PortSpec& port : forward.spec().ports) {
    if (!filter.port.has_value() || *filter.port == port.local) {
      first.mutable_attached()->add_local_ports(port.local);
    }
  }
  writer->send(std::move(first));
  // The writer holds the only reference: the stream lives until the writer starts finishing.
  writer->setOnIdle([raw = stream.get()] { raw->flush(); });
  writer->setOnFinishing([stream, on_finishing = std::move(on_finishing)] {
    stream->detach();
    stream->writer_->setOnIdle(nullptr);
    on_finishing();
  });
}

void TapStream::onChunk(const core::TapChunk& chunk) {
  queue_.add(chunk);
  flush();
}

void TapStream::onConnection(const core::TapConnectionEvent& event) {
  queue_.add(event);
  flush();
}

void TapStream::onTapEnded(const std::string& reason) {
  forward_ = nullptr;  // the hub already let go of this sink
  v1::TapMessage last = queue_.take();
  last.set_ended(reason);
  writer_->send(std::move(last));
  writer_->finish(grpc::Status::OK);
}

void TapStream::flush() {
  if (forward_ == nullptr || queue_.empty() || !writer_->idle()) {
    return;
  }
  writer_->send(queue_.take());
}

void TapStream::detach() {
  if (forward_ != nullptr) {
    std::exchange(forward_, nullptr)->untap(this);
  }
}

}  // namespace pfd::rpc
