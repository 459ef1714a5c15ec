#include <unistd.h>

#include <iostream>

#include "client/commands/app.h"
#include "client/short_status.h"

int main(int argc, char** argv) {
  // A prompt's `pfctl status --short` skips building the command-line parser
  // (bench/status_short.py).
  if (std::optional<int> code = pfd::client::runShortStatusFastPath(argc, argv, std::cout)) {
    return *code;
  }
  return pfd::client::runPfctl(argc, argv, std::cout, std::cerr, STDOUT_FILENO);
}
