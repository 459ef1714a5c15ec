#include "client/render/json_output.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace pfd::client {

absl::StatusOr<std::string> toJson(const google::protobuf::Message& message, bool one_line) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = !one_line;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = false;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(
        "cannot print the daemon's answer as JSON: ", status.ToString(), "; use -o table instead"));
  }
  return json;
}

}  // namespace pfd::client
