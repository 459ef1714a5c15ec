#include "client/commands/describe_command.h"

#include "client/render/describe_printer.h"
#include "client/render/json_output.h"

namespace pfd::client {

DescribeCommand::DescribeCommand(CLI::App& app)
    : Command(app.add_subcommand(
          "describe",
          "Show one forward in full: spec, state, pod, child, probe results and last events")) {
  subcommand_->add_option("name", name_, "The forward")->required();
  subcommand_
      ->add_option("-o,--output", output_,
                   "text, or json (the DescribeForwardResponse, for scripts)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

absl::Status DescribeCommand::run(Connection& connection, Console& console) {
  absl::StatusOr<pfd::v1::Control::StubInterface*> stub = connection.stub();
  if (!stub.ok()) {
    return stub.status();
  }
  pfd::v1::DescribeForwardRequest request;
  request.set_name(name_);
  pfd::v1::DescribeForwardResponse response;
  const grpc::Status status =
      (*stub)->DescribeForward(Connection::unaryContext().get(), request, &response);
  if (!status.ok()) {
    return connection.callError(status);
  }
  if (output_ == "json") {
    absl::StatusOr<std::string> json = toJson(response);
    if (!json.ok()) {
      return json.status();
    }
    console.out << *json << '\n';
    return absl::OkStatus();
  }
  console.out << describeText(response, absl::Now());
  return absl::OkStatus();
}

}  // namespace pfd::client
