#include "client/commands/tap_command.h"

#include "absl/strings/str_cat.h"
#include "client/interrupt_handler.h"
#include "client/render/tap_printer.h"

namespace pfd::client {

TapCommand::TapCommand(CLI::App& app)
    : Command(app.add_subcommand(
          "tap", "Show the bytes that flow through a forward's held ports, as socat -v does")) {
  subcommand_->add_option("name", name_, "The forward")->required();
  subcommand_->add_option("--port", port_, "Only connections to this local port of the forward")
      ->check(CLI::Range(1, 65535));
  subcommand_
      ->add_option("--max-bytes", max_bytes_,
                   "Show at most N bytes of each chunk (its length is always shown)")
      ->check(CLI::PositiveNumber);
  subcommand_->add_flag("-x,--hex", hex_, "A hex dump of the bytes, as socat -x prints it");
  subcommand_->add_flag("--connections", connections_,
                        "Only connections opening and closing, with byte counts and durations");
}

absl::Status TapCommand::validate() const {
  if (connections_ && (hex_ || max_bytes_ > 0)) {
    return absl::InvalidArgumentError(
        "pfctl tap: --connections shows no bytes, so --hex and --max-bytes do not go with it");
  }
  return absl::OkStatus();
}

absl::Status TapCommand::run(Connection& connection, Console& console) {
  absl::StatusOr<pfd::v1::Control::StubInterface*> stub = connection.stub();
  if (!stub.ok()) {
    return stub.status();
  }
  pfd::v1::TapRequest request;
  request.set_name(name_);
  request.set_port(port_);
  request.set_max_bytes(max_bytes_);
  request.set_connections_only(connections_);

  grpc::ClientContext context;
  InterruptHandler interrupt([&context] { context.TryCancel(); });
  auto reader = (*stub)->Tap(&context, request);
  TapPrinter printer(console.out, TapPrintOptions{.hex = hex_});
  pfd::v1::TapMessage message;
  std::string ended;
  bool reader_gone = false;
  while (reader->Read(&message)) {
    if (message.has_attached()) {
      // On stderr, so that stdout holds only the traffic; it also tells a script the tap is on.
      console.err << "tapping forward " << message.attached().name() << " (port"
                  << (message.attached().local_ports_size() == 1 ? " " : "s ");
      for (int i = 0; i < message.attached().local_ports_size(); ++i) {
        console.err << (i > 0 ? ", " : "") << message.attached().local_ports(i);
      }
      console.err << "); Ctrl-C to stop" << std::endl;
    }
    printer.print(message);
    console.out.flush();
    if (!message.ended().empty()) {
      ended = message.ended();
    }
    if (!console.out) {
      reader_gone = true;  // `| head`: nothing more to print to
      context.TryCancel();
    }
  }
  const grpc::Status status = reader->Finish();
  if (interrupt.interrupted() || reader_gone) {
    return absl::OkStatus();
  }
  if (status.ok() && !ended.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("the tap ended: ", ended));
  }
  return connection.callError(status);
}

}  // namespace pfd::client
