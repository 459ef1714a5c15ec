// Forwards of the same pod and ports run one kubectl between them (daemon/core/shared_kubectl.h):
// both serve through it, one forward's restart does not cut the other, and what breaks the child
// reaches every forward of it.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/core/forward_test_base.h"

namespace pfd::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ForwardSharedKubectlTest : public ForwardTestBase {
 protected:
  ForwardSharedKubectlTest() { context_.shared_kubectls = &shared_; }

  // Two forwards of `spec_a`'s target (pod/web-1:8000 by default), on local ports 8080 and 8081.
  void makeBoth(ForwardSpec spec_a = kubectlSpec()) {
    ForwardSpec spec_b = spec_a;
    spec_b.name = "web-admin";
    spec_b.ports = {{8081, "8000"}};
    a_ = makeForward(spec_a);
    b_ = makeForward(spec_b);
    a_->activate();
    b_->activate();
    dispatcher_.runPosted();
  }

  void bothReady() {
    printForwarding(*launcher_.last(), a_->spec());
    dispatcher_.runPosted();
    ASSERT_EQ(a_->state(), ForwardState::kReady);
    ASSERT_EQ(b_->state(), ForwardState::kReady);
  }

  bool logged(const Forward& forward, const std::string& text) const {
    for (const LogLine& line : forward.logs().tail(0)) {
      if (line.text.find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  SharedKubectls shared_{dispatcher_, launcher_};
  std::unique_ptr<Forward> a_;
  std::unique_ptr<Forward> b_;
};

TEST_F(ForwardSharedKubectlTest, TwoForwardsOfOnePodRunOneKubectlAndBothServeThroughIt) {
  makeBoth();
  ASSERT_EQ(launcher_.spawnCount(), 1u);
  bothReady();
  EXPECT_EQ(a_->pid(), b_->pid());
  EXPECT_TRUE(logged(*b_, "joined pid")) << "the forward's log says whose kubectl it uses";

  auto first = relay_.connect("127.0.0.1", 8080);
  auto second = relay_.connect("127.0.0.1", 8081);
  ASSERT_TRUE(first->relayed());
  ASSERT_TRUE(second->relayed());
  EXPECT_EQ(first->upstream_port, kFirstUpstreamPort);
  EXPECT_EQ(second->upstream_port, kFirstUpstreamPort) << "kubectl's one port serves both";
}

TEST_F(ForwardSharedKubectlTest, RestartingOneForwardGivesItItsOwnKubectlAndLeavesTheOtherServing) {
  makeBoth();
  bothReady();
  const testing::FakeChildPtr shared_child = launcher_.last();
  a_->restart();
  dispatcher_.runPosted();
  ASSERT_EQ(launcher_.spawnCount(), 2u) << "a restart wants a new kubectl, not the one it left";
  EXPECT_EQ(shared_child->terminate_calls, 0) << "the other forward still uses it";
  EXPECT_EQ(b_->state(), ForwardState::kReady);
  EXPECT_EQ(b_->pid(), shared_child->pid);
  EXPECT_TRUE(logged(*a_, "left pid"));

  printForwarding(*launcher_.last(), a_->spec(), kFirstUpstreamPort + 10);
  dispatcher_.runPosted();
  EXPECT_EQ(a_->state(), ForwardState::kReady);
  EXPECT_NE(a_->pid(), b_->pid());

  b_->stop();
  dispatcher_.runPosted();
  EXPECT_EQ(shared_child->terminate_calls, 1) << "its last forward stops it";
  EXPECT_FALSE(shared_child->alive);
}

TEST_F(ForwardSharedKubectlTest, WhenTheSharedKubectlDiesBothForwardsComeBackOnOneNewKubectl) {
  makeBoth();
  bothReady();
  launcher_.last()->printError("error: lost connection to pod");
  dispatcher_.runPosted();
  launcher_.last()->exit(1);
  dispatcher_.runPosted();
  EXPECT_NE(a_->state(), ForwardState::kReady);
  EXPECT_NE(b_->state(), ForwardState::kReady);
  dispatcher_.advance(seconds(5));
  ASSERT_EQ(launcher_.spawnCount(), 2u) << "one new kubectl for both";
  bothReady();
  EXPECT_EQ(a_->pid(), b_->pid());
}

TEST_F(ForwardSharedKubectlTest, ForwardsOfOneDeploymentAskForItOnceAndForwardThroughOneKubectl) {
  ForwardSpec spec = kubectlSpec();
  spec.target = "deployment/web";
  makeBoth(spec);
  ASSERT_EQ(launcher_.spawnCount(), 1u) << "one `kubectl get deployment/web` for both";
  EXPECT_EQ(launcher_.last()->spec.argv[2], "deployment/web");
  answer("Deployment\napp=web,\n\n\n");

  // Pods are looked up by each: a fresh look must not take an answer asked for earlier.
  ASSERT_EQ(launcher_.spawnCount(), 3u);
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(launcher_.children()[i]->spec.argv[2], "pods");
    launcher_.children()[i]->print("web-1\t2026-11-24T10:05:00Z\tlive\tRunning\tTrue\thttp=8000,");
    launcher_.children()[i]->exit(0);
  }
  dispatcher_.runPosted();
  ASSERT_EQ(launcher_.spawnCount(), 4u) << "one kubectl port-forward for both";
  EXPECT_EQ(launcher_.last()->spec.argv[2], "pod/web-1");
  bothReady();
}

TEST_F(ForwardSharedKubectlTest, ForwardsThatLetKubectlBindTheirPortsRunOneEach) {
  ForwardSpec spec = kubectlSpec();
  spec.hold_port = false;
  makeBoth(spec);
  EXPECT_EQ(launcher_.spawnCount(), 2u) << "kubectl binds each forward's own local port";
}

TEST_F(ForwardSharedKubectlTest, ShuttingBothDownEndsTheKubectlBeforeTheyReportIdle) {
  makeBoth();
  bothReady();
  const testing::FakeChildPtr child = launcher_.last();
  a_->shutdown();
  b_->shutdown();
  dispatcher_.runPosted();
  EXPECT_EQ(child->terminate_calls, 1);
  EXPECT_FALSE(child->alive);
  EXPECT_EQ(observer_.idle_calls, 2) << "idle only once the child is gone";
}

}  // namespace
}  // namespace pfd::core
