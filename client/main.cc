// pfctl's front: `status --short` here, every other command line in pfctl-rpc
// (client/full_client.h). It links only the standard library and pfd_runtime_paths, so that a
// shell prompt's `pfctl status --short` costs a few milliseconds (bench/status_short.py).
#include <unistd.h>

#include <iostream>
#include <optional>

#include "client/full_client.h"
#include "client/short_status.h"

int main(int argc, char** argv) {
  if (std::optional<int> code = pfd::client::runShortStatusFastPath(argc, argv, std::cout)) {
    return *code;
  }
  const pfd::client::ExecFailure failure = pfd::client::execFullClient(argv);
  std::cerr << failure.message << '\n';
  return failure.exit_code;
}
