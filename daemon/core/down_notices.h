#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/core/notifier.h"
#include "daemon/core/notify_spec.h"
#include "daemon/core/supervisor.h"
#include "daemon/event/dispatcher.h"

namespace pfd::core {

// Tells the desktop when a forward with `notify: true` has been down for its notifyAfter ("pfd:
// web is down", with the reason) and when it is READY again ("pfd: web is back", replacing the
// first, with how long it was down). Down is STARTING, UNHEALTHY, BACKOFF or FAILED; a forward
// the user stopped, a disabled, removed or IDLE one is not down, so it says nothing, and neither
// does a flap shorter than notifyAfter.
//
// Forwards of one cluster that are due within kGatherWindow of each other make one notification
// ("pfd: 20 forwards of context kind-dev are down"), which later ones of that cluster join
// (replacing it) while it is open; its "back" comes when the last of them is up again. Fed by
// the supervisor's state changes, so forwards know nothing of it.
class DownNotices : public SupervisorListener {
 public:
  static constexpr Milliseconds kGatherWindow{1000};

  DownNotices(event::Dispatcher& dispatcher, Notifier& notifier, const Supervisor& supervisor);
  ~DownNotices() override;

  // The settings by forward name (absent: notify off). Called after every reconcile: forwards
  // removed or with notify turned off are forgotten silently, a changed notifyAfter counts from
  // when the forward went down, and forwards already down start counting now.
  void configure(std::map<std::string, NotifySpec> settings);

  void onStateChanged(const Forward& forward, ForwardState previous,
                      const std::string& reason) override;
  void onLogLine(const Forward& /*forward*/, const LogLine& /*line*/) override {}

 private:
  // A forward with notify on that is down.
  struct Down {
    event::MonotonicTime since;
    std::string reason;     // the latest failure of this spell ("" while it only started)
    std::string starting;   // the latest STARTING reason, when no failure is known
    event::TimerPtr timer;  // notifyAfter from `since`
    bool due = false;       // notifyAfter passed; waits for the gather window
    std::string group;      // the open announcement it is part of; "" before
  };
  // One notification on the desktop: a forward, or several of one cluster.
  struct Announcement {
    std::string label;  // "context kind-dev"
    std::string reason;
    event::MonotonicTime since;  // the earliest of its forwards went down
    std::set<std::string> down;
    std::set<std::string> back;
    NotificationHandlePtr handle;
  };

  const Forward* current(const std::string& name) const;
  void track(const Forward& forward, const NotifySpec& spec, event::MonotonicTime since);
  void arm(const std::string& name, Down& down, const NotifySpec& spec);
  void onDue(const std::string& name);
  void flush();
  // The forward left the down states: `ready` tells the desktop once its announcement is all
  // back; otherwise (stopped, idle, removed) it just leaves it.
  void leave(const std::string& name, bool ready);
  void showDown(Announcement& announcement);
  void showBack(Announcement& announcement);

  event::Dispatcher& dispatcher_;
  Notifier& notifier_;
  const Supervisor& supervisor_;
  std::map<std::string, NotifySpec> settings_;
  std::map<std::string, Down> down_;                   // by forward name
  std::map<std::string, Announcement> announcements_;  // by group: cluster, or the forward
  event::TimerPtr gather_timer_;
};

}  // namespace pfd::core
