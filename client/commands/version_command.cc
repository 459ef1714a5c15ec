#include "client/commands/version_command.h"

#include "absl/time/time.h"
#include "client/render/duration_format.h"
#include "client/render/forward_columns.h"
#include "client/render/proto_time.h"

namespace pfd::client {
VersionCommand::VersionCommand(CLI::App& app)
    : Command(app.add_subcommand("version", "Print the versions of pfctl and of the running pfd")) {
}

absl::Status VersionCommand::run(Connection& connection, Console& console) {
  // First, so that it is there even when the daemon is not.
  console.out << "Client Version: " << PFD_VERSION << '\n';
  console.out.flush();
  absl::StatusOr<pfd::v1::Control::StubInterface*> stub = connection.stub();
  if (!stub.ok()) {
    return stub.status();
  }
  pfd::v1::GetVersionResponse response;
  const grpc::Status status = (*stub)->GetVersion(Connection::unaryContext().get(),
                                                  pfd::v1::GetVersionRequest(), &response);
  if (!status.ok()) {
    return connection.callError(status);
  }
  console.out << "Server Version: " << orNone(response.version()) << '\n'
              << "Server PID: " << response.pid() << '\n'
              << "Config: " << orNone(response.config_path()) << '\n'
              << "Socket: " << orNone(response.socket_path()) << '\n';
  if (response.has_started()) {
    const absl::Time started = fromProto(response.started());
    console.out << "Started: "
                << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", started, absl::UTCTimeZone()) << " ("
                << humanDuration(absl::Now() - started) << " ago)\n";
  }
  return absl::OkStatus();
}

}  // namespace pfd::client
