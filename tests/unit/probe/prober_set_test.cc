#include "daemon/probe/prober_set.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_prober.h"

namespace pfd::probe {
namespace {

using pfd::testing::FakeProber;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class ProberSetTest : public ::testing::Test {
 protected:
  ProberSetTest() {
    auto http = std::make_unique<FakeProber>();
    auto tcp = std::make_unique<FakeProber>();
    auto exec = std::make_unique<FakeProber>();
    http_ = http.get();
    tcp_ = tcp.get();
    exec_ = exec.get();
    set_ = std::make_unique<ProberSet>(std::move(http), std::move(tcp), std::move(exec));
  }

  ProbeHandlePtr run(core::ProbeSpec::Kind kind) {
    core::ProbeSpec spec;
    spec.kind = kind;
    spec.port = 8080;
    return set_->run(spec, "127.0.0.1", [this](ProbeResult result) { results_.push_back(result); });
  }

  FakeProber* http_;
  FakeProber* tcp_;
  FakeProber* exec_;
  std::unique_ptr<ProberSet> set_;
  std::vector<ProbeResult> results_;
};

TEST_F(ProberSetTest, SendsHttpGetSpecsToTheHttpProber) {
  ProbeHandlePtr handle = run(core::ProbeSpec::Kind::kHttpGet);

  EXPECT_THAT(http_->all(), SizeIs(1));
  EXPECT_THAT(tcp_->all(), IsEmpty());
  EXPECT_THAT(exec_->all(), IsEmpty());
}

TEST_F(ProberSetTest, SendsTcpSocketSpecsToTheTcpProber) {
  ProbeHandlePtr handle = run(core::ProbeSpec::Kind::kTcpSocket);

  EXPECT_THAT(tcp_->all(), SizeIs(1));
  EXPECT_THAT(http_->all(), IsEmpty());
  EXPECT_THAT(exec_->all(), IsEmpty());
}

TEST_F(ProberSetTest, SendsExecSpecsToTheExecProber) {
  ProbeHandlePtr handle = run(core::ProbeSpec::Kind::kExec);

  EXPECT_THAT(exec_->all(), SizeIs(1));
  EXPECT_THAT(http_->all(), IsEmpty());
  EXPECT_THAT(tcp_->all(), IsEmpty());
}

TEST_F(ProberSetTest, PassesTheSpecAddressAndCallbackThrough) {
  ProbeHandlePtr handle = run(core::ProbeSpec::Kind::kTcpSocket);
  ASSERT_THAT(tcp_->all(), SizeIs(1));
  EXPECT_EQ(tcp_->all()[0]->spec.port, 8080);
  EXPECT_EQ(tcp_->all()[0]->address, "127.0.0.1");

  tcp_->completeAll(pfd::testing::probeSuccess("connected"));

  ASSERT_THAT(results_, SizeIs(1));
  EXPECT_EQ(results_[0].message, "connected");
}

}  // namespace
}  // namespace pfd::probe
