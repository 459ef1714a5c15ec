#include "client/commands/reload_command.h"

#include "absl/strings/str_join.h"
#include "client/render/forward_columns.h"

namespace pfd::client {
namespace {

std::string namesOrNone(const google::protobuf::RepeatedPtrField<std::string>& names) {
  return names.empty() ? kNone : absl::StrJoin(names, ", ");
}

}  // namespace

ReloadCommand::ReloadCommand(CLI::App& app)
    : Command(app.add_subcommand(
          "reload", "Read the config file again and apply it to the running forwards")) {}

absl::Status ReloadCommand::run(Connection& connection, Console& console) {
  absl::StatusOr<pfd::v1::Control::StubInterface*> stub = connection.stub();
  if (!stub.ok()) {
    return stub.status();
  }
  pfd::v1::ReloadResponse response;
  const grpc::Status status =
      (*stub)->Reload(Connection::unaryContext().get(), pfd::v1::ReloadRequest(), &response);
  if (!status.ok()) {
    // The daemon's message names the file, line and column; it is printed as it is.
    return connection.callError(status);
  }
  console.out << "added: " << namesOrNone(response.added()) << '\n'
              << "changed: " << namesOrNone(response.changed()) << '\n'
              << "removed: " << namesOrNone(response.removed()) << '\n'
              << "unchanged: " << response.unchanged_size() << '\n';
  return absl::OkStatus();
}

}  // namespace pfd::client
