#include "daemon/core/down_notices.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/core/wording.h"
#include "spdlog/spdlog.h"

namespace pfd::core {
namespace {

bool isDown(ForwardState state) {
  switch (state) {
    case ForwardState::kStarting:
    case ForwardState::kUnhealthy:
    case ForwardState::kBackoff:
    case ForwardState::kFailed:
      return true;
    case ForwardState::kReady:
    case ForwardState::kStopped:
    case ForwardState::kIdle:
      return false;
  }
  return false;
}

// Forwards that share a cluster share an announcement; a command forward has one of its own.
std::string groupOf(const Forward& forward) {
  const ForwardSpec& spec = forward.spec();
  if (spec.isCommand()) {
    return absl::StrCat("forward\n", spec.name);
  }
  return absl::StrCat("cluster\n", spec.kubectl, "\n", spec.kubeconfig, "\n", spec.context);
}

std::string labelOf(const Forward& forward) {
  if (forward.cluster() != nullptr) {
    return forward.cluster()->contextPhrase();
  }
  const std::string& context = forward.spec().context;
  return context.empty() ? "the current context" : absl::StrCat("context ", context);
}

// "web, api, db, cache, queue and 15 more": a notification is a few lines, not a table.
std::string listNames(const std::set<std::string>& names) {
  constexpr size_t kShown = 5;
  std::vector<std::string> shown;
  for (const std::string& name : names) {
    if (shown.size() == kShown) {
      break;
    }
    shown.push_back(name);
  }
  std::string text = absl::StrJoin(shown, ", ");
  if (names.size() > kShown) {
    absl::StrAppend(&text, " and ", names.size() - kShown, " more");
  }
  return text;
}

// The newest state change's reason, from the forward's events ("STOPPED -> STARTING: started pid
// 7"): for a forward that was already down when notify was turned on.
std::string latestReason(const Forward& forward) {
  const std::vector<HistoryEvent> events = forward.events().events();
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    const size_t arrow = it->message.find(" -> ");
    const size_t colon = arrow == std::string::npos ? arrow : it->message.find(": ", arrow);
    if (colon != std::string::npos) {
      return it->message.substr(colon + 2);
    }
  }
  return "";
}

std::string downFor(Milliseconds duration) {
  // Whole seconds: "down for 42s", not "down for 42.137s".
  if (duration >= std::chrono::seconds(1)) {
    duration = std::chrono::duration_cast<std::chrono::seconds>(duration);
  }
  return absl::StrCat("down for ", formatDelay(duration));
}

}  // namespace

DownNotices::DownNotices(event::Dispatcher& dispatcher, Notifier& notifier,
                         const Supervisor& supervisor)
    : dispatcher_(dispatcher),
      notifier_(notifier),
      supervisor_(supervisor),
      gather_timer_(dispatcher.createTimer([this] { flush(); })) {}

DownNotices::~DownNotices() = default;

const Forward* DownNotices::current(const std::string& name) const {
  absl::StatusOr<std::vector<Forward*>> found = supervisor_.find({name}, false);
  return found.ok() && !found->empty() ? found->front() : nullptr;
}

void DownNotices::configure(std::map<std::string, NotifySpec> settings) {
  settings_ = std::move(settings);
  std::vector<std::string> gone;
  for (const auto& [name, down] : down_) {
    if (!settings_.contains(name) || current(name) == nullptr) {
      gone.push_back(name);
    }
  }
  for (const std::string& name : gone) {
    leave(name, /*ready=*/false);
  }
  for (auto& [name, down] : down_) {
    if (!down.due) {
      arm(name, down, settings_.at(name));
    }
  }
  for (const Forward* forward : supervisor_.forwards()) {
    auto setting = settings_.find(forward->name());
    if (setting != settings_.end() && isDown(forward->state()) &&
        !down_.contains(forward->name())) {
      track(*forward, setting->second, dispatcher_.monotonicTime());
    }
  }
}

void DownNotices::onStateChanged(const Forward& forward, ForwardState /*previous*/,
                                 const std::string& reason) {
  auto setting = settings_.find(forward.name());
  if (setting == settings_.end() || current(forward.name()) != &forward) {
    return;  // notify off, or a removed forward on its way out
  }
  if (!isDown(forward.state())) {
    leave(forward.name(), forward.state() == ForwardState::kReady);
    return;
  }
  if (!down_.contains(forward.name())) {
    track(forward, setting->second, dispatcher_.monotonicTime());
  }
  Down& down = down_.at(forward.name());
  switch (forward.state()) {
    case ForwardState::kStarting:
      down.starting = reason;
      break;
    case ForwardState::kUnhealthy:
      down.reason = reason;
      break;
    default:
      // BACKOFF and FAILED record their cause just before; the state's reason adds "retrying
      // in 2s", which is stale by the time the desktop shows it.
      down.reason = forward.lastError().empty() ? reason : forward.lastError();
  }
}

void DownNotices::track(const Forward& forward, const NotifySpec& spec,
                        event::MonotonicTime since) {
  Down& down = down_[forward.name()];
  down.since = since;
  if (forward.state() == ForwardState::kStarting) {
    down.starting = latestReason(forward);
  } else {
    down.reason = forward.lastError().empty() ? latestReason(forward) : forward.lastError();
  }
  arm(forward.name(), down, spec);
}

void DownNotices::arm(const std::string& name, Down& down, const NotifySpec& spec) {
  if (down.timer == nullptr) {
    down.timer = dispatcher_.createTimer([this, name] { onDue(name); });
  }
  const auto left = std::chrono::duration_cast<Milliseconds>(down.since + spec.after -
                                                             dispatcher_.monotonicTime());
  down.timer->enable(std::max(left, Milliseconds(0)));
}

void DownNotices::onDue(const std::string& name) {
  auto it = down_.find(name);
  if (it == down_.end()) {
    return;
  }
  it->second.due = true;
  if (!gather_timer_->enabled()) {
    gather_timer_->enable(kGatherWindow);
  }
}

void DownNotices::flush() {
  std::set<std::string> touched;
  for (auto& [name, down] : down_) {
    const Forward* forward = current(name);
    if (!down.due || !down.group.empty() || forward == nullptr) {
      continue;
    }
    const std::string group = groupOf(*forward);
    auto [it, added] = announcements_.try_emplace(group);
    Announcement& announcement = it->second;
    if (added) {
      announcement.label = labelOf(*forward);
      announcement.since = down.since;
      announcement.reason =
          down.reason.empty()
              ? absl::StrCat("not ready after ", formatDelay(settings_.at(name).after), ": ",
                             down.starting)
              : down.reason;
    }
    announcement.since = std::min(announcement.since, down.since);
    announcement.down.insert(name);
    announcement.back.erase(name);
    down.group = group;
    touched.insert(group);
  }
  for (const std::string& group : touched) {
    showDown(announcements_.at(group));
  }
}

void DownNotices::leave(const std::string& name, bool ready) {
  auto it = down_.find(name);
  if (it == down_.end()) {
    return;
  }
  const std::string group = it->second.group;
  down_.erase(it);
  auto announced = announcements_.find(group);
  if (announced == announcements_.end()) {
    return;  // a flap shorter than notifyAfter: nothing was said
  }
  Announcement& announcement = announced->second;
  announcement.down.erase(name);
  if (ready) {
    announcement.back.insert(name);
  }
  if (!announcement.down.empty()) {
    return;
  }
  // The last of them is up (or no longer runs: the user stopped it, the config removed it, and
  // nothing is back to tell).
  if (!announcement.back.empty()) {
    showBack(announcement);
  }
  announcements_.erase(announced);
}

void DownNotices::showDown(Announcement& announcement) {
  Notification notification{.urgency = Notification::Urgency::kCritical};
  if (announcement.down.size() == 1) {
    notification.summary = absl::StrCat("pfd: ", *announcement.down.begin(), " is down");
    notification.body = announcement.reason;
  } else {
    notification.summary = absl::StrCat("pfd: ", announcement.down.size(), " forwards of ",
                                        announcement.label, " are down");
    notification.body = absl::StrCat(announcement.reason, "\n", listNames(announcement.down));
  }
  spdlog::info("desktop notification: {}: {}", notification.summary, notification.body);
  announcement.handle = notifier_.notify(notification, announcement.handle.get());
}

void DownNotices::showBack(Announcement& announcement) {
  const auto duration =
      std::chrono::duration_cast<Milliseconds>(dispatcher_.monotonicTime() - announcement.since);
  Notification notification{.urgency = Notification::Urgency::kNormal};
  if (announcement.back.size() == 1) {
    notification.summary = absl::StrCat("pfd: ", *announcement.back.begin(), " is back");
    notification.body = downFor(duration);
  } else {
    notification.summary = absl::StrCat("pfd: ", announcement.back.size(), " forwards of ",
                                        announcement.label, " are back");
    notification.body = absl::StrCat(downFor(duration), ": ", listNames(announcement.back));
  }
  spdlog::info("desktop notification: {}: {}", notification.summary, notification.body);
  announcement.handle = notifier_.notify(notification, announcement.handle.get());
}

}  // namespace pfd::core
