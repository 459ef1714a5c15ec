#include "daemon/event/netlink_messages.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"

namespace pfd::event {

namespace {

// Reads a kernel struct from a byte buffer that need not be aligned for it.
template <typename T>
T readStruct(std::span<const uint8_t> bytes) {
  T value;
  std::memcpy(&value, bytes.data(), sizeof(T));
  return value;
}

uint32_t readU32(std::span<const uint8_t> bytes) { return readStruct<uint32_t>(bytes); }

struct Attribute {
  uint16_t type;
  std::span<const uint8_t> payload;
};

// The rtattr list after a message's fixed header.
absl::StatusOr<std::vector<Attribute>> parseAttributes(std::span<const uint8_t> bytes) {
  std::vector<Attribute> attributes;
  while (bytes.size() >= sizeof(rtattr)) {
    const auto header = readStruct<rtattr>(bytes);
    if (header.rta_len < sizeof(rtattr) || header.rta_len > bytes.size()) {
      return absl::DataLossError(absl::StrCat("netlink attribute of type ", header.rta_type,
                                              " claims ", header.rta_len, " bytes, ", bytes.size(),
                                              " left"));
    }
    attributes.push_back(Attribute{
        .type = header.rta_type,
        .payload = bytes.subspan(RTA_LENGTH(0), header.rta_len - RTA_LENGTH(0)),
    });
    bytes = bytes.subspan(std::min<size_t>(RTA_ALIGN(header.rta_len), bytes.size()));
  }
  return attributes;
}

// A NUL-terminated string attribute (IFA_LABEL, IFLA_IFNAME), without trusting the NUL.
std::string attributeText(std::span<const uint8_t> payload) {
  const auto* text = reinterpret_cast<const char*>(payload.data());
  return std::string(text, strnlen(text, payload.size()));
}

std::optional<std::string> addressText(int family, std::span<const uint8_t> bytes) {
  const size_t size = family == AF_INET ? 4 : 16;
  if (bytes.size() < size) {
    return std::nullopt;
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, bytes.data(), text, sizeof(text)) == nullptr) {
    return std::nullopt;
  }
  return std::string(text);
}

bool isIpv6LinkLocal(std::span<const uint8_t> address) {
  return address.size() >= 2 && address[0] == 0xfe && (address[1] & 0xc0) == 0x80;
}

bool isIpv6Multicast(std::span<const uint8_t> address) {
  return !address.empty() && address[0] == 0xff;
}

std::optional<NetworkChange> parseAddress(uint16_t type, std::span<const uint8_t> body,
                                          absl::Status& error) {
  if (body.size() < NLMSG_ALIGN(sizeof(ifaddrmsg))) {
    error = absl::DataLossError("netlink address message shorter than its header");
    return std::nullopt;
  }
  const auto header = readStruct<ifaddrmsg>(body);
  if (header.ifa_family != AF_INET && header.ifa_family != AF_INET6) {
    return std::nullopt;
  }
  absl::StatusOr<std::vector<Attribute>> attributes =
      parseAttributes(body.subspan(NLMSG_ALIGN(sizeof(ifaddrmsg))));
  if (!attributes.ok()) {
    error = attributes.status();
    return std::nullopt;
  }
  NetworkChange change;
  change.kind = type == RTM_NEWADDR ? NetworkChange::Kind::kAddressAdded
                                    : NetworkChange::Kind::kAddressRemoved;
  change.ipv6 = header.ifa_family == AF_INET6;
  change.interface_index = static_cast<int>(header.ifa_index);
  uint32_t flags = header.ifa_flags;
  std::span<const uint8_t> address;
  std::span<const uint8_t> local;
  for (const Attribute& attribute : *attributes) {
    switch (attribute.type) {
      case IFA_ADDRESS:
        address = attribute.payload;
        break;
      case IFA_LOCAL:
        local = attribute.payload;
        break;
      case IFA_LABEL:
        change.interface_name = attributeText(attribute.payload);
        break;
      case IFA_FLAGS:
        if (attribute.payload.size() >= 4) {
          flags = readU32(attribute.payload);
        }
        break;
      default:
        break;
    }
  }
  // On a point-to-point link IFA_ADDRESS is the peer; IFA_LOCAL is always ours.
  const std::span<const uint8_t> own = local.empty() ? address : local;
  std::optional<std::string> text = addressText(header.ifa_family, own);
  if (!text) {
    error = absl::DataLossError("netlink address message without a readable address");
    return std::nullopt;
  }
  if (change.ipv6 && isIpv6LinkLocal(own)) {
    return std::nullopt;
  }
  if (type == RTM_NEWADDR && (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) != 0) {
    return std::nullopt;
  }
  change.prefix = absl::StrCat(*text, "/", header.ifa_prefixlen);
  return change;
}

bool routeTypeCarriesTraffic(uint8_t type) {
  switch (type) {
    case RTN_UNICAST:
    case RTN_BLACKHOLE:
    case RTN_UNREACHABLE:
    case RTN_PROHIBIT:
    case RTN_THROW:
      return true;
    default:
      return false;
  }
}

std::optional<NetworkChange> parseRoute(const nlmsghdr& message, std::span<const uint8_t> body,
                                        absl::Status& error) {
  if (body.size() < NLMSG_ALIGN(sizeof(rtmsg))) {
    error = absl::DataLossError("netlink route message shorter than its header");
    return std::nullopt;
  }
  const auto header = readStruct<rtmsg>(body);
  if (header.rtm_family != AF_INET && header.rtm_family != AF_INET6) {
    return std::nullopt;
  }
  absl::StatusOr<std::vector<Attribute>> attributes =
      parseAttributes(body.subspan(NLMSG_ALIGN(sizeof(rtmsg))));
  if (!attributes.ok()) {
    error = attributes.status();
    return std::nullopt;
  }
  NetworkChange change;
  change.kind = message.nlmsg_type == RTM_NEWROUTE ? NetworkChange::Kind::kRouteAdded
                                                   : NetworkChange::Kind::kRouteRemoved;
  change.ipv6 = header.rtm_family == AF_INET6;
  change.table = header.rtm_table;
  change.replaces = message.nlmsg_type == RTM_NEWROUTE && (message.nlmsg_flags & NLM_F_REPLACE);
  std::span<const uint8_t> destination;
  for (const Attribute& attribute : *attributes) {
    switch (attribute.type) {
      case RTA_DST:
        destination = attribute.payload;
        break;
      case RTA_GATEWAY:
        change.gateway = addressText(header.rtm_family, attribute.payload).value_or("");
        break;
      case RTA_OIF:
        if (attribute.payload.size() >= 4) {
          change.interface_index = static_cast<int>(readU32(attribute.payload));
        }
        break;
      case RTA_PRIORITY:
        if (attribute.payload.size() >= 4) {
          change.priority = readU32(attribute.payload);
        }
        break;
      case RTA_TABLE:
        if (attribute.payload.size() >= 4) {
          change.table = readU32(attribute.payload);
        }
        break;
      default:
        break;
    }
  }
  if (change.table == RT_TABLE_LOCAL || !routeTypeCarriesTraffic(header.rtm_type) ||
      (header.rtm_flags & RTM_F_CLONED) != 0) {
    return std::nullopt;
  }
  if (header.rtm_dst_len == 0) {
    change.prefix = "default";
    return change;
  }
  std::optional<std::string> text = addressText(header.rtm_family, destination);
  if (!text) {
    error = absl::DataLossError("netlink route message without a readable destination");
    return std::nullopt;
  }
  if (change.ipv6 && (isIpv6LinkLocal(destination) || isIpv6Multicast(destination))) {
    return std::nullopt;
  }
  change.prefix = absl::StrCat(*text, "/", header.rtm_dst_len);
  return change;
}

std::optional<NetworkChange> parseLink(uint16_t type, std::span<const uint8_t> body,
                                       absl::Status& error) {
  if (body.size() < NLMSG_ALIGN(sizeof(ifinfomsg))) {
    error = absl::DataLossError("netlink link message shorter than its header");
    return std::nullopt;
  }
  const auto header = readStruct<ifinfomsg>(body);
  absl::StatusOr<std::vector<Attribute>> attributes =
      parseAttributes(body.subspan(NLMSG_ALIGN(sizeof(ifinfomsg))));
  if (!attributes.ok()) {
    error = attributes.status();
    return std::nullopt;
  }
  NetworkChange change;
  change.kind =
      type == RTM_NEWLINK ? NetworkChange::Kind::kLinkState : NetworkChange::Kind::kLinkRemoved;
  change.interface_index = header.ifi_index;
  change.link_up = (header.ifi_flags & IFF_UP) != 0;
  change.link_running = change.link_up && (header.ifi_flags & IFF_RUNNING) != 0;
  for (const Attribute& attribute : *attributes) {
    if (attribute.type == IFLA_IFNAME) {
      change.interface_name = attributeText(attribute.payload);
    }
  }
  return change;
}

}  // namespace

absl::StatusOr<NetlinkDatagram> parseNetlinkMessages(std::span<const uint8_t> datagram) {
  NetlinkDatagram parsed;
  while (datagram.size() >= sizeof(nlmsghdr)) {
    const auto message = readStruct<nlmsghdr>(datagram);
    if (message.nlmsg_len < sizeof(nlmsghdr) || message.nlmsg_len > datagram.size()) {
      return absl::DataLossError(absl::StrCat("truncated netlink message: it claims ",
                                              message.nlmsg_len, " bytes, ", datagram.size(),
                                              " were read"));
    }
    const std::span<const uint8_t> body =
        datagram.subspan(NLMSG_HDRLEN, message.nlmsg_len - NLMSG_HDRLEN);
    absl::Status error;
    std::optional<NetworkChange> change;
    switch (message.nlmsg_type) {
      case RTM_NEWADDR:
      case RTM_DELADDR:
        change = parseAddress(message.nlmsg_type, body, error);
        break;
      case RTM_NEWROUTE:
      case RTM_DELROUTE:
        change = parseRoute(message, body, error);
        break;
      case RTM_NEWLINK:
      case RTM_DELLINK:
        change = parseLink(message.nlmsg_type, body, error);
        break;
      case NLMSG_DONE:
      case NLMSG_ERROR:
        // For a request of ours: the end of a dump, or its refusal. Either way it is over.
        parsed.finished_requests.push_back(message.nlmsg_seq);
        break;
      default:
        break;
    }
    if (!error.ok()) {
      return error;
    }
    if (change) {
      change->sequence = message.nlmsg_seq;
      change->port_id = message.nlmsg_pid;
      parsed.changes.push_back(*std::move(change));
    }
    datagram = datagram.subspan(std::min<size_t>(NLMSG_ALIGN(message.nlmsg_len), datagram.size()));
  }
  return parsed;
}

std::string describeNetworkChange(const NetworkChange& change) {
  const std::string interface = change.interface_name.empty()
                                    ? absl::StrCat("#", change.interface_index)
                                    : change.interface_name;
  if (change.kind == NetworkChange::Kind::kLinkRemoved) {
    return absl::StrCat("link ", interface, " removed");
  }
  if (change.kind == NetworkChange::Kind::kLinkState) {
    return absl::StrCat("link ", interface,
                        change.link_running ? " up"
                        : change.link_up    ? " down (no carrier)"
                                            : " down");
  }
  if (change.isAddress()) {
    return change.added() ? absl::StrCat("address ", change.prefix, " added on ", interface)
                          : absl::StrCat("address ", change.prefix, " removed from ", interface);
  }
  std::string route = change.isDefaultRoute()
                          ? std::string(change.ipv6 ? "IPv6 default route" : "default route")
                          : absl::StrCat("route ", change.prefix);
  if (change.replaces) {
    absl::StrAppend(&route, " now");
  }
  if (!change.gateway.empty()) {
    absl::StrAppend(&route, " via ", change.gateway);
  }
  if (change.interface_index != 0) {
    absl::StrAppend(&route, " on ", interface);
  }
  if (!change.replaces) {
    absl::StrAppend(&route, change.added() ? " added" : " removed");
  }
  return route;
}

}  // namespace pfd::event
