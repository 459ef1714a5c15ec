// A stand-in for pfd in PfdDeathTest: starts `argv[1..]` through the launcher, prints the child's
// pid on a line of its own, then the child's output lines, and runs the loop until it is killed.
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/event/libuv_dispatcher.h"
#include "daemon/process/libuv_process_launcher.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PROGRAM [ARGS...]\n", argv[0]);
    return 2;
  }
  auto dispatcher = pfd::event::LibuvDispatcher::create();
  if (!dispatcher.ok()) {
    std::fprintf(stderr, "%s\n", dispatcher.status().ToString().c_str());
    return 1;
  }
  pfd::process::LibuvProcessLauncher launcher((*dispatcher)->loop(), PFD_EXEC_SHIM_PATH);
  pfd::process::ProcessSpec spec;
  spec.argv.assign(argv + 1, argv + argc);
  pfd::process::ProcessCallbacks callbacks;
  callbacks.on_line = [](pfd::process::OutputStream, std::string_view line) {
    std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
    std::fflush(stdout);
  };
  auto child = launcher.spawn(spec, std::move(callbacks));
  if (!child.ok()) {
    std::fprintf(stderr, "%s\n", child.status().ToString().c_str());
    return 1;
  }
  std::printf("%d\n", static_cast<int>((*child)->pid()));
  std::fflush(stdout);
  (*dispatcher)->run();
  return 0;
}
