#include "daemon/app/config_watcher.h"

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace pfd::app {

struct ConfigWatcher::Handle {
  uv_fs_event_t event{};
  ConfigWatcher* owner = nullptr;  // null once the owner is gone
};

absl::StatusOr<ConfigWatcherPtr> ConfigWatcher::create(uv_loop_t* loop,
                                                       event::Dispatcher& dispatcher,
                                                       const std::string& config_path,
                                                       std::function<void()> on_change) {
  std::filesystem::path path = std::filesystem::absolute(config_path);
  ConfigWatcherPtr watcher(new ConfigWatcher());
  watcher->file_name_ = path.filename().string();
  watcher->on_change_ = std::move(on_change);
  ConfigWatcher* raw = watcher.get();
  watcher->quiet_timer_ = dispatcher.createTimer([raw] { raw->on_change_(); });

  auto* handle = new Handle();
  handle->owner = raw;
  handle->event.data = handle;
  uv_fs_event_init(loop, &handle->event);
  int result = uv_fs_event_start(
      &handle->event,
      [](uv_fs_event_t* event, const char* file_name, int, int status) {
        auto* self = static_cast<Handle*>(event->data);
        if (self->owner == nullptr || status < 0) {
          return;
        }
        if (file_name == nullptr || self->owner->file_name_ == file_name) {
          self->owner->quiet_timer_->enable(kQuietPeriod);
        }
      },
      path.parent_path().c_str(), 0);
  if (result < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&handle->event),
             [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
    return absl::UnavailableError(absl::StrCat("cannot watch ", path.parent_path().string(),
                                               " for config changes: ", uv_strerror(result)));
  }
  watcher->handle_ = handle;
  return watcher;
}

ConfigWatcher::~ConfigWatcher() {
  if (handle_ != nullptr) {
    handle_->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_->event),
             [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
  }
}

}  // namespace pfd::app
