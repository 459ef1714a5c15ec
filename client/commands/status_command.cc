#include "client/commands/status_command.h"

#include "client/render/status_printer.h"
#include "daemon/config/summary_file.h"

namespace pfd::client {

StatusCommand::StatusCommand(CLI::App& app)
    : Command(
          app.add_subcommand("status", "Show every forward (or the named ones) and its state")) {
  subcommand_->alias("ls");
  subcommand_->add_option("names", names_, "Forwards to show (default: all)");
  subcommand_
      ->add_option("-o,--output", output_,
                   "table, wide (adds namespace, context, pid, next retry, probe) or json (the "
                   "ListForwardsResponse, for scripts)")
      ->check(CLI::IsMember({"table", "wide", "json"}))
      ->capture_default_str();
  subcommand_->add_flag(
      "--short", short_,
      "One line for prompts and status bars (\"pfd: 12/13 ready, web down\"), read from the "
      "summary pfd keeps beside its socket, without asking pfd; exit 0 when every enabled forward "
      "is READY or IDLE, 3 otherwise (and when pfd is not running)");
}

absl::Status StatusCommand::validate() const {
  if (short_ && (!names_.empty() || output_ != "table")) {
    return absl::InvalidArgumentError(
        "pfctl status: --short summarises every forward in one line; leave out the names and -o");
  }
  return absl::OkStatus();
}

absl::Status StatusCommand::run(Connection& connection, Console& console) {
  if (short_) {
    const config::ShortStatus summary =
        config::readShortStatus(config::summaryPathFor(connection.socketPath()));
    console.out << summary.line << '\n';
    exit_code_ = summary.exit_code;
    return absl::OkStatus();
  }
  absl::StatusOr<OutputFormat> format = parseOutputFormat(output_);
  if (!format.ok()) {
    return format.status();
  }
  absl::StatusOr<pfd::v1::Control::StubInterface*> stub = connection.stub();
  if (!stub.ok()) {
    return stub.status();
  }
  pfd::v1::ListForwardsRequest request;
  request.mutable_names()->Assign(names_.begin(), names_.end());
  pfd::v1::ListForwardsResponse response;
  const grpc::Status status =
      (*stub)->ListForwards(Connection::unaryContext().get(), request, &response);
  if (!status.ok()) {
    return connection.callError(status);
  }
  return printStatus(response, *format, console.style, absl::Now(), console.out, console.err);
}

}  // namespace pfd::client
