#include <unistd.h>

#include <iostream>

#include "client/commands/app.h"

int main(int argc, char** argv) {
  return pfd::client::runPfctl(argc, argv, std::cout, std::cerr, STDOUT_FILENO);
}
