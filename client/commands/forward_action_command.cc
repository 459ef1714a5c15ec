#include "client/commands/forward_action_command.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace pfd::client {
namespace {

struct ActionText {
  absl::string_view verb;
  absl::string_view past;
  absl::string_view description;
};

ActionText textFor(ForwardAction action) {
  switch (action) {
    case ForwardAction::kRestart:
      return {"restart", "restarted",
              "Replace the child of the named forwards now, without waiting for a backoff"};
    case ForwardAction::kStop:
      return {"stop", "stopped",
              "Stop the named forwards; they stay stopped (no restarts) until started"};
    case ForwardAction::kStart:
      return {"start", "started", "Start stopped or failed forwards"};
  }
  return {"", "", ""};
}

}  // namespace

ForwardActionCommand::ForwardActionCommand(CLI::App& app, ForwardAction action)
    : Command(app.add_subcommand(std::string(textFor(action).verb),
                                 std::string(textFor(action).description))),
      action_(action) {
  CLI::Option* names = subcommand_->add_option("names", names_, "Forwards to act on");
  subcommand_->add_flag("--all", all_, "Act on every forward")->excludes(names);
}

absl::Status ForwardActionCommand::validate() const {
  if (names_.empty() && !all_) {
    return absl::InvalidArgumentError(absl::StrCat("pfctl ", textFor(action_).verb,
                                                   ": name the forwards to ", textFor(action_).verb,
                                                   ", or pass --all for every forward"));
  }
  return absl::OkStatus();
}

absl::Status ForwardActionCommand::run(Connection& connection, Console& console) {
  absl::StatusOr<pfd::v1::Control::StubInterface*> stub = connection.stub();
  if (!stub.ok()) {
    return stub.status();
  }
  pfd::v1::ForwardsRequest request;
  request.mutable_names()->Assign(names_.begin(), names_.end());
  request.set_all(all_);
  pfd::v1::ForwardsResponse response;
  const auto context = Connection::unaryContext();
  grpc::Status status;
  switch (action_) {
    case ForwardAction::kRestart:
      status = (*stub)->RestartForwards(context.get(), request, &response);
      break;
    case ForwardAction::kStop:
      status = (*stub)->StopForwards(context.get(), request, &response);
      break;
    case ForwardAction::kStart:
      status = (*stub)->StartForwards(context.get(), request, &response);
      break;
  }
  if (!status.ok()) {
    return connection.callError(status);
  }
  if (response.forwards().empty()) {
    console.err << "No forwards.\n";
  }
  for (const pfd::v1::Forward& forward : response.forwards()) {
    console.out << forward.name() << ' ' << textFor(action_).past << '\n';
  }
  return absl::OkStatus();
}

}  // namespace pfd::client
