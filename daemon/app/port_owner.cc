#include "daemon/app/port_owner.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pfd::app {
namespace {

constexpr std::string_view kListenState = "0A";

// An address as the kernel's tables hold it: 16 bytes, IPv4 in the IPv4-mapped form.
struct Address {
  std::array<uint8_t, 16> bytes{};

  bool wildcard() const {
    static const Address kAny{};
    static const Address kAnyV4 = mapped(0);
    return bytes == kAny.bytes || bytes == kAnyV4.bytes;
  }
  bool operator==(const Address&) const = default;

  static Address mapped(uint32_t v4_network_order) {
    Address a;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    std::memcpy(&a.bytes[12], &v4_network_order, 4);
    return a;
  }
};

std::optional<Address> parseLiteral(absl::string_view text) {
  const std::string literal(text);
  in_addr v4{};
  if (inet_pton(AF_INET, literal.c_str(), &v4) == 1) {
    return Address::mapped(v4.s_addr);
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, literal.c_str(), &v6) == 1) {
    Address a;
    std::memcpy(a.bytes.data(), &v6, 16);
    return a;
  }
  return std::nullopt;
}

// /proc/net/tcp prints each 32-bit word of an address in host byte order, as hex.
std::optional<Address> parseTableAddress(absl::string_view hex) {
  if (hex.size() != 8 && hex.size() != 32) {
    return std::nullopt;
  }
  std::array<uint32_t, 4> words{};
  for (size_t i = 0; i < hex.size() / 8; ++i) {
    if (!absl::SimpleHexAtoi(hex.substr(i * 8, 8), &words[i])) {
      return std::nullopt;
    }
  }
  if (hex.size() == 8) {
    return Address::mapped(words[0]);  // the word is the address in network order, as stored
  }
  Address a;
  std::memcpy(a.bytes.data(), words.data(), 16);
  return a;
}

std::vector<Address> wantedAddresses(const std::string& address) {
  std::vector<Address> wanted;
  for (absl::string_view part : absl::StrSplit(address, ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    if (part == "localhost") {
      wanted.push_back(*parseLiteral("127.0.0.1"));
      wanted.push_back(*parseLiteral("::1"));
    } else if (auto parsed = parseLiteral(part); parsed.has_value()) {
      wanted.push_back(*parsed);
    }
  }
  return wanted;
}

bool collides(const Address& listener, const std::vector<Address>& wanted) {
  if (wanted.empty() || listener.wildcard()) {
    return true;
  }
  for (const Address& address : wanted) {
    if (address.wildcard() || address == listener) {
      return true;
    }
  }
  return false;
}

// The inode of a socket listening on `port` in a /proc/net/tcp-style table, on an address that
// collides with `wanted`.
std::optional<std::string> listeningInode(const char* table, uint16_t port,
                                          const std::vector<Address>& wanted) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    if (fields.size() < 10 || fields[3] != kListenState) {
      continue;
    }
    const std::string& local = fields[1];
    size_t colon = local.rfind(':');
    uint32_t local_port = 0;
    if (colon == std::string::npos ||
        !absl::SimpleHexAtoi(absl::string_view(local).substr(colon + 1), &local_port)) {
      continue;
    }
    std::optional<Address> listener = parseTableAddress(absl::string_view(local).substr(0, colon));
    if (local_port == port && listener.has_value() && collides(*listener, wanted)) {
      return fields[9];
    }
  }
  return std::nullopt;
}

std::string commandName(const std::string& pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/comm"));
  std::string name;
  std::getline(in, name);
  return name;
}

std::optional<std::string> pidOwningSocket(const std::string& inode) {
  const std::string wanted = absl::StrCat("socket:[", inode, "]");
  DIR* proc = opendir("/proc");
  if (proc == nullptr) {
    return std::nullopt;
  }
  std::optional<std::string> owner;
  while (dirent* entry = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) {
      continue;
    }
    const std::string fd_dir = absl::StrCat("/proc/", entry->d_name, "/fd");
    DIR* fds = opendir(fd_dir.c_str());
    if (fds == nullptr) {
      continue;
    }
    while (dirent* fd = readdir(fds)) {
      std::array<char, 64> target{};
      const std::string link = absl::StrCat(fd_dir, "/", fd->d_name);
      ssize_t length = readlink(link.c_str(), target.data(), target.size() - 1);
      if (length > 0 && std::string_view(target.data(), static_cast<size_t>(length)) == wanted) {
        owner = entry->d_name;
        break;
      }
    }
    closedir(fds);
    if (owner.has_value()) {
      break;
    }
  }
  closedir(proc);
  return owner;
}

}  // namespace

std::string describeLocalPortOwner(const std::string& address, uint16_t port) {
  const std::vector<Address> wanted = wantedAddresses(address);
  std::optional<std::string> inode = listeningInode("/proc/net/tcp", port, wanted);
  if (!inode.has_value()) {
    inode = listeningInode("/proc/net/tcp6", port, wanted);
  }
  if (!inode.has_value()) {
    return "";
  }
  std::optional<std::string> pid = pidOwningSocket(*inode);
  if (!pid.has_value()) {
    return "another process";
  }
  return absl::StrCat("pid ", *pid, " (", commandName(*pid), ")");
}

namespace {

class Query : public core::PortOwnerQuery {
 public:
  explicit Query(std::shared_ptr<bool> cancelled) : cancelled_(std::move(cancelled)) {}
  ~Query() override { *cancelled_ = true; }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

 private:
  std::shared_ptr<bool> cancelled_;
};

struct Lookup {
  uv_work_t request{};
  std::string address;
  uint16_t port = 0;
  std::string owner;
  // Written and read on the loop only: the query's owner cancels, after_work reads.
  std::shared_ptr<bool> cancelled;
  std::function<void(std::string)> done;
};

}  // namespace

core::FindPortOwner portOwnerFinder(uv_loop_t* loop) {
  return [loop](const std::string& address, uint16_t port,
                std::function<void(std::string)> done) -> core::PortOwnerQueryPtr {
    auto cancelled = std::make_shared<bool>(false);
    auto* lookup = new Lookup{
        .address = address, .port = port, .cancelled = cancelled, .done = std::move(done)};
    lookup->request.data = lookup;
    const int status = uv_queue_work(
        loop, &lookup->request,
        [](uv_work_t* request) {
          auto* work = static_cast<Lookup*>(request->data);
          work->owner = describeLocalPortOwner(work->address, work->port);
        },
        [](uv_work_t* request, int /*status*/) {
          std::unique_ptr<Lookup> work(static_cast<Lookup*>(request->data));
          if (!*work->cancelled) {
            work->done(std::move(work->owner));
          }
        });
    if (status != 0) {
      // Only when the loop is closing; nobody waits for the answer then.
      delete lookup;
    }
    return std::make_unique<Query>(std::move(cancelled));
  };
}

}  // namespace pfd::app
