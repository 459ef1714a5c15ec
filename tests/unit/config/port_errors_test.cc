// Errors about `ports:`: syntax, ranges, named ports, and local ports used twice.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/config/config_test_support.h"

namespace pfd::config {
namespace {

using testing::invalidAt;
using testing::parse;

// A one-forward document whose ports list is line 4, starting at column 12.
std::string withPorts(const std::string& ports) {
  return "forwards:\n  - name: web\n    target: web\n    ports: " + ports + "\n";
}

TEST(PortErrorsTest, OutOfRangePortNamesTheRule) {
  EXPECT_THAT(parse(withPorts("[\"8080\", \"80800\"]")),
              invalidAt(4, 21,
                        "forwards[0].ports[1]: \"80800\" is not a port; use LOCAL:REMOTE or "
                        "PORT with ports 1-65535"));
}

TEST(PortErrorsTest, NonNumericAndZeroPortsAreRefused) {
  for (const char* port : {"web", "0", "-1", "8080:0", "8080:65536", "99999:80", "1.5", "80 "}) {
    SCOPED_TRACE(port);
    EXPECT_THAT(parse(withPorts(std::string("[\"") + port + "\"]")),
                invalidAt(4, 13,
                          "forwards[0].ports[0]: \"" + std::string(port) +
                              "\" is not a port; use LOCAL:REMOTE or PORT"));
  }
}

TEST(PortErrorsTest, RandomLocalPortIsRefusedWithAFix) {
  EXPECT_THAT(parse(withPorts("[\":8000\"]")),
              invalidAt(4, 13,
                        "forwards[0].ports[0]: \":8000\" asks kubectl for a random local "
                        "port; pfd needs a fixed local port to probe and report, e.g. "
                        "\"8000:8000\""));
  EXPECT_THAT(parse(withPorts("[\"0:8000\"]")), invalidAt(4, 13, "asks kubectl for a random"));
}

TEST(PortErrorsTest, BadNamedRemotePortIsRefused) {
  for (const char* remote :
       {"HTTP", "my_port", "-http", "http-", "a--b", "averyveryverylongname", ""}) {
    SCOPED_TRACE(remote);
    EXPECT_THAT(parse(withPorts(std::string("[\"8080:") + remote + "\"]")),
                invalidAt(4, 13,
                          "remote port \"" + std::string(remote) +
                              "\" is neither a port 1-65535 nor a port name"));
  }
}

TEST(PortErrorsTest, NamedRemotePortsAreAccepted) {
  EXPECT_OK(parse(withPorts("[\"8080:http\", \"9090:grpc-web\", \"7070:h2c\"]")));
}

TEST(PortErrorsTest, PortsMustBeANonEmptyListOfScalars) {
  EXPECT_THAT(parse(withPorts("[]")),
              invalidAt(4, 12, "forwards[0].ports: is an empty list; list the local ports"));
  EXPECT_THAT(parse(withPorts("\"8080\"")), invalidAt(4, 12, "forwards[0].ports: is \"8080\""));
  EXPECT_THAT(parse(withPorts("[{local: 80}]")),
              invalidAt(4, 13, "forwards[0].ports[0]: is a mapping; write LOCAL:REMOTE or PORT"));
  EXPECT_THAT(parse("forwards:\n  - name: web\n    target: web\n"),
              invalidAt(2, 5, "forwards[0]: missing \"ports\""));
}

TEST(PortErrorsTest, DuplicateLocalPortInsideAForwardIsRefused) {
  EXPECT_THAT(parse(withPorts("[\"8080:80\", \"9090\", \"8080:81\"]")),
              invalidAt(4, 32,
                        "forwards[0].ports[2]: local port 8080 is already used by "
                        "forwards[0].ports[0] (line 4)"));
}

TEST(PortErrorsTest, DuplicateLocalPortAcrossForwardsNamesTheHolder) {
  EXPECT_THAT(parse("forwards:\n"
                    "  - name: web\n    target: web\n    ports: [\"8080:80\"]\n"
                    "  - name: api\n    target: api\n    ports:\n      - \"9090\"\n"
                    "      - \"8080\"\n"),
              invalidAt(9, 9,
                        "forwards[1].ports[1]: local port 8080 on 127.0.0.1 is already "
                        "held by forward \"web\" (forwards[0].ports[0], line 4, address "
                        "127.0.0.1)"));
}

TEST(PortErrorsTest, DisabledForwardsStillHoldTheirPorts) {
  EXPECT_THAT(parse("forwards:\n"
                    "  - {name: a, target: a, ports: [\"80\"], enabled: false}\n"
                    "  - {name: b, target: b, ports: [\"80\"]}\n"),
              invalidAt(3, 34, "already held by forward \"a\""));
}

TEST(PortErrorsTest, OverlappingAddressesConflict) {
  EXPECT_THAT(parse("forwards:\n"
                    "  - {name: a, target: a, ports: [\"80\"], address: 0.0.0.0}\n"
                    "  - {name: b, target: b, ports: [\"80\"], address: 127.0.0.2}\n"),
              testing::invalidWith("local port 80 on 127.0.0.2 is already held by forward \"a\""));
  EXPECT_THAT(parse("forwards:\n"
                    "  - {name: a, target: a, ports: [\"80\"], address: localhost}\n"
                    "  - {name: b, target: b, ports: [\"80\"], address: \"::1\"}\n"),
              testing::invalidWith("already held by forward \"a\""));
  EXPECT_THAT(parse("forwards:\n"
                    "  - {name: a, target: a, ports: [\"80\"], address: \"::\"}\n"
                    "  - {name: b, target: b, ports: [\"80\"], address: 127.0.0.1}\n"),
              testing::invalidWith("already held by forward \"a\""));
}

TEST(PortErrorsTest, CommandForwardTakesOnlyLocalPorts) {
  EXPECT_THAT(parse("forwards:\n  - name: b\n    command: [ssh]\n    ports: [\"5432:5432\"]\n"),
              invalidAt(4, 13,
                        "forwards[0].ports[0]: \"5432:5432\" maps a remote port, but a "
                        "command forward has no remote side; write only the local port "
                        "its program serves, e.g. \"5432\""));
}

}  // namespace
}  // namespace pfd::config
