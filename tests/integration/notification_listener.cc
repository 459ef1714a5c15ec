// A stand-in notification server for the integration tests: owns org.freedesktop.Notifications
// on the session bus (DBUS_SESSION_BUS_ADDRESS), answers Notify with an id (a replacement keeps
// the id it replaces, as real servers do) and prints each call as one JSON line on stdout:
//   {"app": "pfd", "replaces_id": 0, "summary": "...", "body": "...", "urgency": 2,
//    "expire_timeout": -1, "id": 1}
// It prints "ready" once it owns the name. It runs until killed.
#include <systemd/sd-bus.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

uint32_t last_id = 0;

std::string jsonString(const char* text) {
  std::string out = "\"";
  for (const char* c = text; *c != '\0'; ++c) {
    const auto byte = static_cast<unsigned char>(*c);
    if (byte == '"' || byte == '\\') {
      out += '\\';
      out += *c;
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", byte);
      out += escaped;
    } else {
      out += *c;
    }
  }
  return out + "\"";
}

// The "urgency" hint (a byte), or -1 when the call has none.
int readHints(sd_bus_message* message) {
  int urgency = -1;
  if (sd_bus_message_enter_container(message, 'a', "{sv}") < 0) {
    return urgency;
  }
  while (sd_bus_message_enter_container(message, 'e', "sv") > 0) {
    const char* key = nullptr;
    sd_bus_message_read(message, "s", &key);
    uint8_t value = 0;
    if (std::strcmp(key, "urgency") == 0 && sd_bus_message_read(message, "v", "y", &value) >= 0) {
      urgency = value;
    } else {
      sd_bus_message_skip(message, "v");
    }
    sd_bus_message_exit_container(message);
  }
  sd_bus_message_exit_container(message);
  return urgency;
}

int onNotify(sd_bus_message* message, void* /*userdata*/, sd_bus_error* /*error*/) {
  const char* app = nullptr;
  uint32_t replaces = 0;
  const char* icon = nullptr;
  const char* summary = nullptr;
  const char* body = nullptr;
  if (const int rc = sd_bus_message_read(message, "susss", &app, &replaces, &icon, &summary, &body);
      rc < 0) {
    return rc;
  }
  sd_bus_message_skip(message, "as");
  const int urgency = readHints(message);
  int32_t expire = 0;
  sd_bus_message_read(message, "i", &expire);
  const uint32_t id = replaces != 0 ? replaces : ++last_id;
  std::printf(
      "{\"app\": %s, \"replaces_id\": %u, \"summary\": %s, \"body\": %s, \"urgency\": %d, "
      "\"expire_timeout\": %d, \"id\": %u}\n",
      jsonString(app).c_str(), replaces, jsonString(summary).c_str(), jsonString(body).c_str(),
      urgency, expire, id);
  std::fflush(stdout);
  return sd_bus_reply_method_return(message, "u", id);
}

const sd_bus_vtable kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Notify", "susssasa{sv}i", "u", onNotify, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

}  // namespace

int main() {
  sd_bus* bus = nullptr;
  if (const int rc = sd_bus_open_user(&bus); rc < 0) {
    std::fprintf(stderr, "cannot open the session bus: %s\n", std::strerror(-rc));
    return 1;
  }
  if (const int rc = sd_bus_add_object_vtable(bus, nullptr, "/org/freedesktop/Notifications",
                                              "org.freedesktop.Notifications", kVtable, nullptr);
      rc < 0) {
    std::fprintf(stderr, "cannot add the object: %s\n", std::strerror(-rc));
    return 1;
  }
  if (const int rc = sd_bus_request_name(bus, "org.freedesktop.Notifications", 0); rc < 0) {
    std::fprintf(stderr, "cannot own org.freedesktop.Notifications: %s\n", std::strerror(-rc));
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) {
    const int rc = sd_bus_process(bus, nullptr);
    if (rc < 0) {
      std::fprintf(stderr, "the bus failed: %s\n", std::strerror(-rc));
      return 1;
    }
    if (rc == 0 && sd_bus_wait(bus, UINT64_MAX) < 0) {
      return 1;
    }
  }
}
