// pfctl's front (client/main.cc): what it is linked against, `status --short` without the full
// client, and how it hands every other command line to pfctl-rpc or says why it cannot.
#include <elf.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/status_matchers.h"
#include "tests/unit/client/subprocess.h"
#include "tests/unit/client/temp_dir.h"

namespace pfd::client {
namespace {

using fixtures::ProcessResult;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kPfctl[] = PFCTL_PATH;
constexpr char kPfctlRpc[] = PFCTL_RPC_PATH;
constexpr char kRelativeDir[] = PFCTL_RPC_RELATIVE_DIR;

// The DT_NEEDED entries of a 64-bit ELF file: the shared libraries the dynamic loader maps
// before main(), as `readelf -d` lists them.
std::vector<std::string> neededLibraries(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  const std::string image((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<std::string> needed;
  if (image.size() < sizeof(Elf64_Ehdr) || image.compare(0, SELFMAG, ELFMAG) != 0 ||
      image[EI_CLASS] != ELFCLASS64) {
    ADD_FAILURE() << path << " is not a 64-bit ELF file";
    return needed;
  }
  Elf64_Ehdr header;
  image.copy(reinterpret_cast<char*>(&header), sizeof(header), 0);
  auto section = [&](size_t index) {
    Elf64_Shdr result;
    image.copy(reinterpret_cast<char*>(&result), sizeof(result),
               header.e_shoff + index * header.e_shentsize);
    return result;
  };
  for (size_t i = 0; i < header.e_shnum; ++i) {
    const Elf64_Shdr dynamic = section(i);
    if (dynamic.sh_type != SHT_DYNAMIC) {
      continue;
    }
    const Elf64_Shdr strings = section(dynamic.sh_link);
    for (size_t offset = 0; offset + sizeof(Elf64_Dyn) <= dynamic.sh_size;
         offset += sizeof(Elf64_Dyn)) {
      Elf64_Dyn entry;
      image.copy(reinterpret_cast<char*>(&entry), sizeof(entry), dynamic.sh_offset + offset);
      if (entry.d_tag == DT_NULL) {
        break;
      }
      if (entry.d_tag == DT_NEEDED) {
        needed.emplace_back(image.c_str() + strings.sh_offset + entry.d_un.d_val);
      }
    }
  }
  return needed;
}

// The C and C++ runtimes, and the sanitizers' runtimes in an ASan/UBSan or TSan build.
bool isRuntimeLibrary(const std::string& name) {
  for (const char* prefix : {"libc.so", "libm.so", "libstdc++.so", "libgcc_s.so", "ld-linux",
                             "libasan.so", "libubsan.so", "libtsan.so"}) {
    if (name.starts_with(prefix)) {
      return true;
    }
  }
  return false;
}

class PfctlFrontTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }

  // A copy of the front at DIR/bin/pfctl, without pfctl-rpc anywhere near it.
  std::string installFront() {
    std::filesystem::create_directories(dir_.path() + "/bin");
    const std::string front = dir_.path() + "/bin/pfctl";
    std::filesystem::copy_file(kPfctl, front);
    return front;
  }

  // Where a front at DIR/bin/pfctl looks for pfctl-rpc in its installation.
  std::string installedFullClient() const {
    return (std::filesystem::path(dir_.path() + "/bin") / kRelativeDir / "pfctl-rpc")
        .lexically_normal()
        .string();
  }

  ProcessResult run(const std::vector<std::string>& argv) {
    absl::StatusOr<ProcessResult> result =
        fixtures::runToCompletion(argv, {}, {"PFD_SOCKET", "XDG_RUNTIME_DIR", "NO_COLOR"});
    EXPECT_OK(result.status());
    return result.ok() ? *result : ProcessResult{};
  }

  fixtures::TempDir dir_;
};

TEST_F(PfctlFrontTest, TheFrontNeedsOnlyTheCAndCxxRuntimes) {
  const std::vector<std::string> needed = neededLibraries(kPfctl);
  for (const std::string& library : needed) {
    EXPECT_TRUE(isRuntimeLibrary(library))
        << "pfctl loads " << library << " before main(); status --short must not pay for it";
    EXPECT_THAT(library,
                AllOf(Not(HasSubstr("grpc")), Not(HasSubstr("protobuf")), Not(HasSubstr("absl"))));
  }
  EXPECT_THAT(needed, Contains(StartsWith("libc.so")));
  // The same reader finds what the full client loads: the check above can fail.
  EXPECT_THAT(neededLibraries(kPfctlRpc), Contains(StartsWith("libgrpc++")));
}

TEST_F(PfctlFrontTest, StatusShortNeedsNoFullClient) {
  const std::string front = installFront();
  const ProcessResult result =
      run({front, "--socket", dir_.path() + "/missing.sock", "status", "--short"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.out, "pfd: not running\n");
  EXPECT_THAT(result.err, IsEmpty());
}

TEST_F(PfctlFrontTest, WithoutTheFullClientEveryOtherCommandSaysWhatIsMissing) {
  const std::string front = installFront();
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"status"}, {"--help"}, {"status", "--short", "web"}}) {
    std::vector<std::string> argv = {front};
    argv.insert(argv.end(), args.begin(), args.end());
    const ProcessResult result = run(argv);
    EXPECT_EQ(result.exit_code, 127) << args[0];
    EXPECT_THAT(result.out, IsEmpty());
    EXPECT_EQ(result.err, "pfctl: cannot run " + installedFullClient() +
                              ": No such file or directory; pfctl runs every command but 'status "
                              "--short' through it, and it is installed with pfd: reinstall pfd "
                              "(or build the pfctl-rpc target)\n");
  }
}

TEST_F(PfctlFrontTest, AFullClientThatCannotRunIsNamedWithItsError) {
  const std::string front = installFront();
  std::filesystem::create_directories(std::filesystem::path(installedFullClient()).parent_path());
  std::filesystem::copy_file(kPfctlRpc, installedFullClient());
  std::filesystem::permissions(installedFullClient(), std::filesystem::perms::owner_read);
  // No execute bit at all: even root may not execute it.
  const ProcessResult result = run({front, "version"});
  EXPECT_EQ(result.exit_code, 126);
  EXPECT_THAT(result.err,
              StartsWith("pfctl: cannot run " + installedFullClient() + ": Permission denied;"));
}

TEST_F(PfctlFrontTest, AnInstalledFrontRunsTheFullClientFromLibexec) {
  const std::string front = installFront();
  std::filesystem::create_directories(std::filesystem::path(installedFullClient()).parent_path());
  std::filesystem::copy_file(kPfctlRpc, installedFullClient());
  const ProcessResult result = run({front, "--help"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, AllOf(HasSubstr("pfctl controls pfd"), HasSubstr("Exit codes:")));
}

TEST_F(PfctlFrontTest, TheFullClientGetsTheCommandLineUnchanged) {
  const std::string front = installFront();
  // A stand-in beside the front (where a build tree has pfctl-rpc) that prints its arguments and
  // exits with a code of its own.
  const std::string stand_in = dir_.path() + "/bin/pfctl-rpc";
  std::ofstream(stand_in) << "#!/bin/sh\nfor arg in \"$@\"; do printf '[%s]\\n' \"$arg\"; done\n"
                             "exit 42\n";
  std::filesystem::permissions(stand_in, std::filesystem::perms::owner_all);
  const ProcessResult result = run({front, "--socket", "/x y.sock", "logs", "", "web", "-f"});
  EXPECT_EQ(result.exit_code, 42);
  EXPECT_EQ(result.out, "[--socket]\n[/x y.sock]\n[logs]\n[]\n[web]\n[-f]\n");
}

}  // namespace
}  // namespace pfd::client
