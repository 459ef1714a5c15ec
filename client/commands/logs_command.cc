#include "client/commands/logs_command.h"

#include "absl/time/time.h"
#include "client/interrupt_handler.h"
#include "client/render/proto_time.h"

namespace pfd::client {
namespace {

// RFC 3339 in UTC with as many fractional digits as needed, like kubectl logs --timestamps.
constexpr char kTimestampFormat[] = "%Y-%m-%dT%H:%M:%E*SZ";

}  // namespace

LogsCommand::LogsCommand(CLI::App& app)
    : Command(app.add_subcommand("logs", "Print the output a forward's child printed")) {
  subcommand_->add_option("name", name_, "The forward")->required();
  subcommand_->add_flag("-f,--follow", follow_, "Keep printing new lines until Ctrl-C");
  subcommand_->add_option("--tail", tail_, "Only the last N kept lines (default: all)");
  subcommand_->add_flag("--timestamps", timestamps_,
                        "Prefix each line with the time it was printed (RFC 3339, UTC)");
}

absl::Status LogsCommand::run(Connection& connection, Console& console) {
  absl::StatusOr<pfd::v1::Control::StubInterface*> stub = connection.stub();
  if (!stub.ok()) {
    return stub.status();
  }
  pfd::v1::StreamLogsRequest request;
  request.set_name(name_);
  request.set_follow(follow_);
  request.set_tail(tail_);

  grpc::ClientContext context;
  InterruptHandler interrupt([&context] { context.TryCancel(); });
  auto reader = (*stub)->StreamLogs(&context, request);
  pfd::v1::LogLine line;
  bool reader_gone = false;
  while (reader->Read(&line)) {
    if (timestamps_) {
      console.out << absl::FormatTime(kTimestampFormat, fromProto(line.time()), absl::UTCTimeZone())
                  << ' ';
    }
    console.out << line.text() << '\n';
    if (follow_) {
      // Whoever reads a pipe (grep, a test) sees each line as it happens.
      console.out.flush();
    }
    if (!console.out) {
      // The reader of our stdout went away (`| head`): nothing more to print to.
      reader_gone = true;
      context.TryCancel();
    }
  }
  const grpc::Status status = reader->Finish();
  if (interrupt.interrupted() || reader_gone) {
    return absl::OkStatus();
  }
  return connection.callError(status);
}

}  // namespace pfd::client
