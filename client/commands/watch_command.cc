#include "client/commands/watch_command.h"

#include <unistd.h>

#include <vector>

#include "client/commands/live_watch.h"
#include "client/interrupt_handler.h"
#include "client/render/forward_columns.h"
#include "client/render/json_output.h"
#include "client/render/streaming_table.h"

namespace pfd::client {

WatchCommand::WatchCommand(CLI::App& app)
    : Command(app.add_subcommand(
          "watch",
          "A live table of the forwards on a terminal (q quits, r restarts, enter describes); "
          "piped, each forward's state, then a line for every change, until Ctrl-C")) {
  subcommand_->add_option("names", names_, "Forwards to watch (default: all)");
  subcommand_->add_flag("--events", events_,
                        "One line per change even on a terminal, instead of the live table");
  subcommand_
      ->add_option("-o,--output", output_,
                   "table (live on a terminal, event lines otherwise) or json (one ForwardEvent "
                   "per line)")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
}

absl::Status WatchCommand::run(Connection& connection, Console& console) {
  const bool live = !events_ && output_ == "table" && console.out_fd >= 0 &&
                    isatty(console.out_fd) == 1 && isatty(STDIN_FILENO) == 1;
  if (live) {
    console.out.flush();
    return runLiveWatch(connection, names_, STDIN_FILENO, console.out_fd, console.style.color);
  }
  return printEvents(connection, console);
}

absl::Status WatchCommand::printEvents(Connection& connection, Console& console) const {
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
    if (output_ == "json") {
      absl::StatusOr<std::string> json = toJson(event, /*one_line=*/true);
      if (!json.ok()) {
        context.TryCancel();
        reader->Finish();
        return json.status();
      }
      console.out << *json << '\n';
      console.out.flush();
      if (!console.out) {
        reader_gone = true;
        context.TryCancel();
      }
      continue;
    }
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
