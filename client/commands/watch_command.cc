#include "client/commands/watch_command.h"

#include <vector>

#include "client/interrupt_handler.h"
#include "client/render/forward_columns.h"
#include "client/render/streaming_table.h"

namespace pfd::client {

WatchCommand::WatchCommand(CLI::App& app)
    : Command(app.add_subcommand(
          "watch", "Print each forward's state, then a row for every change, until Ctrl-C")) {
  subcommand_->add_option("names", names_, "Forwards to watch (default: all)");
}

absl::Status WatchCommand::run(Connection& connection, Console& console) {
  absl::StatusOr<pfd::v1::Control::StubInterface*> stub = connection.stub();
  if (!stub.ok()) {
    return stub.status();
  }
  pfd::v1::WatchRequest request;
  request.mutable_names()->Assign(names_.begin(), names_.end());

  grpc::ClientContext context;
  InterruptHandler interrupt([&context] { context.TryCancel(); });
  auto reader = (*stub)->Watch(&context, request);
  StreamingTable table(forwardHeader(TableView::kWatch), console.style);
  pfd::v1::ForwardEvent event;
  bool reader_gone = false;
  // The snapshot the watch starts with is printed once complete, so its rows share widths.
  std::vector<Row> rows;
  while (reader->Read(&event)) {
    rows.push_back(eventRow(event, absl::Now()));
    if (event.initial() && !event.last_initial()) {
      continue;
    }
    table.print(console.out, rows);
    rows.clear();
    console.out.flush();
    if (!console.out) {
      reader_gone = true;
      context.TryCancel();
    }
  }
  table.print(console.out, rows);  // a stream that ended inside its snapshot
  const grpc::Status status = reader->Finish();
  if (interrupt.interrupted() || reader_gone) {
    return absl::OkStatus();
  }
  return connection.callError(status);
}

}  // namespace pfd::client
