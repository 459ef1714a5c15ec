// pfctl-rpc, the full client: every pfctl command line but `status --short`, which the front
// (main.cc) answers and then execs this with its argv unchanged.
#include <unistd.h>

#include <iostream>

#include "client/commands/app.h"

int main(int argc, char** argv) {
  return pfd::client::runPfctl(argc, argv, std::cout, std::cerr, STDOUT_FILENO);
}
