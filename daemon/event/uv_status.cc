#include "daemon/event/uv_status.h"

#include <uv.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace pfd::event {

absl::Status uvStatus(int uv_error, std::string_view action) {
  if (uv_error == 0) {
    return absl::OkStatus();
  }
  const std::string message = absl::StrCat(std::string(action), ": ", uv_strerror(uv_error));
  switch (uv_error) {
    case UV_ENOENT:
      return absl::NotFoundError(message);
    case UV_EACCES:
    case UV_EPERM:
      return absl::PermissionDeniedError(message);
    case UV_EINVAL:
    case UV_ENOTDIR:
    case UV_ENAMETOOLONG:
    case UV_ELOOP:
      return absl::InvalidArgumentError(message);
    case UV_EMFILE:
    case UV_ENFILE:
    case UV_ENOMEM:
    case UV_EAGAIN:
    case UV_ENOSPC:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace pfd::event
