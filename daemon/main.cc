// pfd: keeps a declared list of port-forwards alive. See `pfd --help` and docs/.
#include <csignal>
#include <cstdio>
#include <iostream>

#include "CLI/CLI.hpp"
#include "daemon/app/daemon.h"
#include "daemon/app/logging.h"
#include "daemon/config/check_report.h"
#include "daemon/config/config_loader.h"
#include "daemon/config/paths.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  CLI::App app{
      "pfd: a self-healing kubectl port-forward supervisor.\n"
      "Reads a list of forwards, keeps one kubectl port-forward (or other program) "
      "running per forward, restarts it with backoff when it dies or breaks, and serves "
      "status and control to pfctl on a Unix socket.",
      "pfd"};
  std::string config_path = pfd::config::defaultConfigPath();
  std::string socket_path = pfd::config::defaultSocketPath();
  std::string log_level = "info";
  int stop_grace_ms = 3000;
  bool check_only = false;
  app.add_option("-c,--config", config_path, "The forward list (YAML)")->capture_default_str();
  app.add_option("-s,--socket", socket_path,
                 "Control socket (default: $PFD_SOCKET, else $XDG_RUNTIME_DIR/pfd/pfd.sock)")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->capture_default_str();
  app.add_option("--stop-grace-ms", stop_grace_ms,
                 "How long a child gets after SIGTERM before SIGKILL")
      ->capture_default_str()
      ->check(CLI::Range(0, 600000));
  app.add_flag("--check", check_only,
               "Load and validate the config, print every error (or \"FILE: N forwards, OK\") "
               "and exit 0 or 1, starting nothing");
  app.set_version_flag("-V,--version", "pfd " PFD_VERSION);
  app.footer(
      "Exit status: 0 after SIGTERM/SIGINT stopped every forward; 1 when pfd cannot "
      "start (bad config, another pfd on the socket, unusable socket path); 64 for a bad "
      "command line. With --check: 0 when the config loads, 1 otherwise.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version end here too, with 0; a bad command line is EX_USAGE, as in pfctl.
    const int code = app.exit(error);
    return code == 0 ? 0 : 64;
  }

  if (check_only) {
    // Touches no socket, lock or child: safe beside a running pfd, in editors, hooks and CI.
    return pfd::config::reportConfigCheck(pfd::config::checkConfigFile(config_path), config_path,
                                          std::cout, std::cerr);
  }

  if (absl::Status status = pfd::app::configureLogging(log_level); !status.ok()) {
    std::cerr << "pfd: " << status.message() << "\n";
    return 1;
  }
  // A client that hangs up mid-write must not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);

  auto daemon = pfd::app::Daemon::create({.config_path = config_path,
                                          .socket_path = socket_path,
                                          .stop_grace = std::chrono::milliseconds(stop_grace_ms)});
  if (!daemon.ok()) {
    spdlog::error("pfd cannot start: {}", std::string(daemon.status().message()));
    return 1;
  }
  (*daemon)->run();
  daemon->reset();
  spdlog::info("pfd stopped");
  return 0;
}
