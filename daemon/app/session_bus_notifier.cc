#include "daemon/app/session_bus_notifier.h"

#include <poll.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace pfd::app {
namespace {

constexpr const char* kService = "org.freedesktop.Notifications";
constexpr const char* kPath = "/org/freedesktop/Notifications";

// Answers that mean nobody will show notifications here: stop asking for a while.
bool meansNoService(const sd_bus_error* error) {
  for (const char* name :
       {SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_NO_REPLY,
        SD_BUS_ERROR_DISCONNECTED, SD_BUS_ERROR_UNKNOWN_OBJECT, SD_BUS_ERROR_UNKNOWN_METHOD}) {
    if (sd_bus_error_has_name(error, name)) {
      return true;
    }
  }
  return false;
}

uint64_t monotonicMicroseconds() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
}

}  // namespace

// The bus and the uv_poll on its fd. The block is freed by the poll's close callback.
struct SessionBusNotifier::Connection {
  uv_poll_t poll{};
  sd_bus* bus = nullptr;
  SessionBusNotifier* owner = nullptr;  // null once disconnected
};

// One Notify in flight: where its id goes. Freed by sd-bus with the call's slot (after the
// answer, or when the bus goes).
struct SessionBusNotifier::Call {
  SessionBusNotifier* owner = nullptr;
  std::weak_ptr<core::NotificationHandle> handle;
};

SessionBusNotifier::SessionBusNotifier(uv_loop_t* loop, event::Dispatcher& dispatcher)
    : loop_(loop),
      dispatcher_(dispatcher),
      timeout_timer_(dispatcher.createTimer([this] { pump(); })) {}

SessionBusNotifier::~SessionBusNotifier() { disconnect(); }

core::NotificationHandlePtr SessionBusNotifier::notify(const core::Notification& notification,
                                                       const core::NotificationHandle* replaces) {
  auto handle = std::make_shared<core::NotificationHandle>();
  if (connection_ == nullptr && !connect()) {
    spdlog::debug("desktop notification not shown (no session bus): {}", notification.summary);
    return handle;
  }
  auto call = std::make_unique<Call>(Call{.owner = this, .handle = handle});
  sd_bus_slot* slot = nullptr;
  // Urgency 2 (critical) stays on screen until dismissed or replaced, as a down forward should.
  const int urgency = notification.urgency == core::Notification::Urgency::kCritical ? 2 : 1;
  const int rc = sd_bus_call_method_async(
      connection_->bus, &slot, kService, kPath, kService, "Notify", &SessionBusNotifier::onReply,
      call.get(), "susssasa{sv}i", "pfd", replaces != nullptr ? replaces->id : 0u, "",
      notification.summary.c_str(), notification.body.c_str(), 0, 1, "urgency", "y", urgency, -1);
  if (rc < 0) {
    turnOff(absl::StrCat("cannot call ", kService, ".Notify: ", std::strerror(-rc)));
    disconnect();
    return handle;
  }
  // The bus owns the slot from now on, and frees the call with it.
  sd_bus_slot_set_destroy_callback(slot,
                                   [](void* userdata) { delete static_cast<Call*>(userdata); });
  call.release();
  sd_bus_slot_set_floating(slot, 1);
  sd_bus_slot_unref(slot);
  pump();
  return handle;
}

bool SessionBusNotifier::connect() {
  if (off_until_.has_value() && dispatcher_.monotonicTime() < *off_until_) {
    return false;
  }
  sd_bus* bus = nullptr;
  // Connecting to a local socket does not wait; authentication and Hello happen in pump().
  if (const int rc = sd_bus_open_user(&bus); rc < 0) {
    turnOff(absl::StrCat("no session bus (", std::strerror(-rc), ")"));
    return false;
  }
  auto* connection = new Connection{.bus = bus, .owner = this};
  connection->poll.data = connection;
  if (const int rc = uv_poll_init(loop_, &connection->poll, sd_bus_get_fd(bus)); rc != 0) {
    sd_bus_close_unref(bus);
    delete connection;
    turnOff(absl::StrCat("cannot watch the session bus on the loop: ", uv_strerror(rc)));
    return false;
  }
  connection_ = connection;
  return true;
}

void SessionBusNotifier::pump() {
  while (connection_ != nullptr) {
    const int rc = sd_bus_process(connection_->bus, nullptr);
    if (rc < 0) {
      turnOff(absl::StrCat("the session bus connection failed: ", std::strerror(-rc)));
      disconnect();
      return;
    }
    if (broken_) {
      disconnect();
      return;
    }
    if (rc == 0) {
      rearm();
      return;
    }
  }
}

void SessionBusNotifier::rearm() {
  const int events = sd_bus_get_events(connection_->bus);
  if (events < 0) {
    turnOff(absl::StrCat("the session bus connection failed: ", std::strerror(-events)));
    disconnect();
    return;
  }
  const int uv_events =
      ((events & POLLIN) != 0 ? UV_READABLE : 0) | ((events & POLLOUT) != 0 ? UV_WRITABLE : 0);
  uv_poll_start(&connection_->poll, uv_events, [](uv_poll_t* poll, int, int) {
    auto* connection = static_cast<Connection*>(poll->data);
    if (connection->owner != nullptr) {
      connection->owner->pump();
    }
  });
  uint64_t deadline = 0;
  if (sd_bus_get_timeout(connection_->bus, &deadline) < 0 || deadline == UINT64_MAX) {
    timeout_timer_->disable();
    return;
  }
  const uint64_t now = monotonicMicroseconds();
  const uint64_t wait_us = deadline > now ? deadline - now : 0;
  timeout_timer_->enable(std::chrono::milliseconds((wait_us + 999) / 1000));
}

void SessionBusNotifier::disconnect() {
  broken_ = false;
  timeout_timer_->disable();
  if (connection_ == nullptr) {
    return;
  }
  Connection* connection = std::exchange(connection_, nullptr);
  connection->owner = nullptr;
  // The fd leaves epoll before sd-bus closes it; calls in flight are dropped with their slots.
  uv_poll_stop(&connection->poll);
  sd_bus_close_unref(connection->bus);
  connection->bus = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&connection->poll),
           [](uv_handle_t* handle) { delete static_cast<Connection*>(handle->data); });
}

void SessionBusNotifier::turnOff(const std::string& why) {
  off_until_ = dispatcher_.monotonicTime() + kRetryAfter;
  if (said_off_) {
    spdlog::debug("desktop notifications still off: {}", why);
    return;
  }
  said_off_ = true;
  spdlog::info("desktop notifications are off: {}; notify: true shows nothing until that changes",
               why);
}

int SessionBusNotifier::onReply(sd_bus_message* reply, void* userdata, sd_bus_error* /*error*/) {
  auto* call = static_cast<Call*>(userdata);
  SessionBusNotifier& self = *call->owner;
  if (const sd_bus_error* error = sd_bus_message_get_error(reply); error != nullptr) {
    const std::string text = absl::StrCat(error->name != nullptr ? error->name : "an error", ": ",
                                          error->message != nullptr ? error->message : "");
    if (meansNoService(error)) {
      self.turnOff(absl::StrCat("no notification service on the session bus (", text, ")"));
      self.broken_ = true;
    } else {
      spdlog::debug("the desktop refused a notification: {}", text);
    }
    return 0;
  }
  uint32_t id = 0;
  if (sd_bus_message_read(reply, "u", &id) < 0) {
    return 0;
  }
  if (self.said_off_) {
    self.said_off_ = false;
    spdlog::info("desktop notifications work again");
  }
  if (auto handle = call->handle.lock(); handle != nullptr) {
    handle->id = id;
  }
  return 0;
}

}  // namespace pfd::app
