#include "daemon/event/network_watcher.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pfd::event {

namespace {

// Spelled out in a summary; the rest are counted.
constexpr size_t kDescribedChanges = 4;
// Room for the bursts a VPN or the burst test causes before the loop reads them; an overflow is
// reported as a change, so this only keeps the report precise.
constexpr int kReceiveBufferBytes = 1 << 20;

absl::Status errnoStatus(int error, const std::string& action) {
  const std::string message = absl::StrCat(action, ": ", std::string(std::strerror(error)));
  if (error == EPERM || error == EACCES) {
    return absl::PermissionDeniedError(message);
  }
  if (error == EAFNOSUPPORT || error == EPROTONOSUPPORT) {
    return absl::UnimplementedError(message);
  }
  return absl::UnavailableError(message);
}

}  // namespace

struct NetworkWatcher::Handle {
  uv_poll_t poll{};
  int socket = -1;
  NetworkWatcher* owner = nullptr;  // null once the owner is gone

  static void close(Handle* handle) {
    uv_close(reinterpret_cast<uv_handle_t*>(&handle->poll), [](uv_handle_t* uv) {
      auto* self = static_cast<Handle*>(uv->data);
      ::close(self->socket);
      delete self;
    });
  }
};

std::string summarizeNetworkChanges(const BurstDebouncer::Burst& burst) {
  const std::vector<std::string>& all = burst.descriptions;
  if (all.size() <= kDescribedChanges + 1) {
    return absl::StrJoin(all, "; ");
  }
  const std::vector<std::string> first(all.begin(), all.begin() + kDescribedChanges);
  return absl::StrCat(absl::StrJoin(first, "; "), "; and ", all.size() - kDescribedChanges,
                      " more changes");
}

NetworkWatcher::NetworkWatcher(Dispatcher& dispatcher, OnChange on_change, Options options)
    : on_change_(std::move(on_change)),
      on_baseline_(std::move(options.on_baseline)),
      debouncer_(dispatcher, options.quiet, options.max_delay,
                 [this](const BurstDebouncer::Burst& burst) { report(burst); }) {}

absl::StatusOr<NetworkWatcherPtr> NetworkWatcher::create(uv_loop_t* loop, Dispatcher& dispatcher,
                                                         OnChange on_change, Options options) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) {
    return errnoStatus(errno, "cannot open a netlink socket to watch network changes");
  }
  // Best effort: the default buffer also works, it just overflows sooner.
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBufferBytes, sizeof(kReceiveBufferBytes));
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups =
      RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    ::close(fd);
    return errnoStatus(error, "cannot subscribe to the kernel's address and route changes");
  }

  sockaddr_nl bound{};
  socklen_t bound_size = sizeof(bound);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_size) != 0) {
    const int error = errno;
    ::close(fd);
    return errnoStatus(error, "cannot read the netlink socket's address");
  }

  NetworkWatcherPtr watcher(new NetworkWatcher(dispatcher, std::move(on_change), options));
  watcher->port_id_ = bound.nl_pid;
  auto* handle = new Handle();
  handle->socket = fd;
  handle->owner = watcher.get();
  handle->poll.data = handle;
  if (int rc = uv_poll_init(loop, &handle->poll, fd); rc != 0) {
    ::close(fd);
    delete handle;
    return absl::UnavailableError(
        absl::StrCat("cannot watch the netlink socket on the loop: ", uv_strerror(rc)));
  }
  // From here on the destructor closes it.
  watcher->handle_ = handle;
  const int rc = uv_poll_start(&handle->poll, UV_READABLE, [](uv_poll_t* poll, int, int) {
    auto* self = static_cast<Handle*>(poll->data);
    if (self->owner != nullptr) {
      self->owner->readAll();
    }
  });
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot watch the netlink socket on the loop: ", uv_strerror(rc)));
  }
  watcher->requestNextDump();
  return watcher;
}

void NetworkWatcher::requestNextDump() {
  constexpr std::array<uint16_t, 3> kDumps = {RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE};
  dump_sequence_ = 0;
  if (dumps_requested_ == kDumps.size()) {
    finishBaseline();
    return;
  }
  const uint16_t type = kDumps[dumps_requested_++];
  // The family header of each request type, zeroed: every family, every interface, every table.
  struct {
    nlmsghdr header;
    union {
      ifinfomsg link;
      ifaddrmsg address;
      rtmsg route;
    } body;
  } request{};
  request.header.nlmsg_len = NLMSG_LENGTH(type == RTM_GETLINK   ? sizeof(ifinfomsg)
                                          : type == RTM_GETADDR ? sizeof(ifaddrmsg)
                                                                : sizeof(rtmsg));
  request.header.nlmsg_type = type;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = next_sequence_++;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(handle_->socket, &request, request.header.nlmsg_len, 0,
               reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    // Without the baseline, the first re-announcement of something that existed is reported
    // once; that is all it costs.
    finishBaseline();
    return;
  }
  dump_sequence_ = request.header.nlmsg_seq;
}

void NetworkWatcher::finishBaseline() {
  dump_sequence_ = 0;
  dumps_requested_ = 3;
  if (on_baseline_) {
    std::function<void()> on_baseline = std::exchange(on_baseline_, nullptr);
    on_baseline();
  }
}

NetworkWatcher::~NetworkWatcher() {
  if (handle_ != nullptr) {
    handle_->owner = nullptr;
    uv_poll_stop(&handle_->poll);
    Handle::close(handle_);
  }
}

void NetworkWatcher::readAll() {
  // A datagram holds whole messages; 64 KiB is more than the kernel puts in one notification.
  std::array<uint8_t, 65536> buffer;
  for (;;) {
    sockaddr_nl sender{};
    socklen_t sender_size = sizeof(sender);
    const ssize_t size = ::recvfrom(handle_->socket, buffer.data(), buffer.size(), 0,
                                    reinterpret_cast<sockaddr*>(&sender), &sender_size);
    if (size < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == ENOBUFS) {
        // The kernel dropped messages: something changed, what is unknown.
        debouncer_.add("netlink messages lost, some changes unknown");
        addresses_changed_ = true;
        default_route_changed_ = true;
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // Polling on would spin on the same error.
        debouncer_.add(
            absl::StrCat("network changes are no longer watched: reading netlink failed: ",
                         std::strerror(errno)));
        uv_poll_stop(&handle_->poll);
      }
      return;
    }
    if (sender.nl_pid != 0) {
      continue;  // only the kernel speaks for the kernel
    }
    absl::StatusOr<NetlinkDatagram> parsed =
        parseNetlinkMessages(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(size)));
    if (!parsed.ok()) {
      debouncer_.add(absl::StrCat("unreadable netlink message (", parsed.status().message(), ")"));
      continue;
    }
    for (const NetworkChange& change : parsed->changes) {
      if (dump_sequence_ != 0 && change.sequence == dump_sequence_ && change.port_id == port_id_) {
        // What existed already: learnt, not reported.
        NetworkChange named = change;
        named.interface_name = interfaceName(change);
        table_.apply(named);
      } else {
        record(change);
      }
    }
    for (uint32_t sequence : parsed->finished_requests) {
      if (dump_sequence_ != 0 && sequence == dump_sequence_) {
        requestNextDump();
      }
    }
  }
}

std::string NetworkWatcher::interfaceName(const NetworkChange& change) {
  if (!change.interface_name.empty()) {
    interface_names_[change.interface_index] = change.interface_name;
    return change.interface_name;
  }
  if (change.interface_index == 0) {
    return "";
  }
  char name[IF_NAMESIZE] = {};
  if (if_indextoname(static_cast<unsigned>(change.interface_index), name) != nullptr) {
    interface_names_[change.interface_index] = name;
    return name;
  }
  auto known = interface_names_.find(change.interface_index);
  return known != interface_names_.end() ? known->second : "";
}

void NetworkWatcher::record(const NetworkChange& change) {
  NetworkChange named = change;
  named.interface_name = interfaceName(change);
  if (!table_.apply(named)) {
    return;
  }
  if (named.isDefaultRoute()) {
    default_route_changed_ = true;
  }
  if (named.isAddress()) {
    addresses_changed_ = true;
  }
  debouncer_.add(describeNetworkChange(named));
}

void NetworkWatcher::report(const BurstDebouncer::Burst& burst) {
  NetworkChangeReport report{
      .summary = summarizeNetworkChanges(burst),
      .changes = burst.events,
      .default_route_changed = std::exchange(default_route_changed_, false),
      .addresses_changed = std::exchange(addresses_changed_, false),
  };
  // A copy, and last: the callback may destroy this watcher.
  OnChange on_change = on_change_;
  on_change(report);
}

}  // namespace pfd::event
