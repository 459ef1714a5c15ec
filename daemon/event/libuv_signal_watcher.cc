#include "daemon/event/libuv_signal_watcher.h"

#include <csignal>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/event/uv_status.h"

namespace pfd::event {

struct LibuvSignalWatcher::Handle {
  uv_signal_t uv;
  // Each handle has its own copy so that a callback that destroys the watcher stays valid until
  // it returns.
  Callback callback;
};

namespace {

void onSignal(uv_signal_t* uv, int signal_number) {
  static_cast<LibuvSignalWatcher::Handle*>(uv->data)->callback(signal_number);
}

void onClosed(uv_handle_t* uv) { delete static_cast<LibuvSignalWatcher::Handle*>(uv->data); }

}  // namespace

std::vector<int> LibuvSignalWatcher::daemonSignals() { return {SIGTERM, SIGINT, SIGHUP}; }

absl::StatusOr<LibuvSignalWatcherPtr> LibuvSignalWatcher::create(
    uv_loop_t* loop, const std::vector<int>& signal_numbers, Callback callback) {
  LibuvSignalWatcherPtr watcher(new LibuvSignalWatcher());
  for (int signal_number : signal_numbers) {
    auto* handle = new Handle{.uv = {}, .callback = callback};
    handle->uv.data = handle;
    if (int rc = uv_signal_init(loop, &handle->uv); rc != 0) {
      delete handle;
      return uvStatus(rc, absl::StrCat("cannot watch signal ", signal_number, " (",
                                       strsignal(signal_number), ")"));
    }
    // From here on the destructor closes it.
    watcher->handles_.push_back(handle);
    if (int rc = uv_signal_start(&handle->uv, onSignal, signal_number); rc != 0) {
      return uvStatus(rc, absl::StrCat("cannot watch signal ", signal_number, " (",
                                       strsignal(signal_number), ")"));
    }
  }
  return watcher;
}

LibuvSignalWatcher::~LibuvSignalWatcher() {
  for (Handle* handle : handles_) {
    uv_signal_stop(&handle->uv);
    uv_close(reinterpret_cast<uv_handle_t*>(&handle->uv), onClosed);
  }
}

}  // namespace pfd::event
