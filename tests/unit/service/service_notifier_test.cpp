#include "agent/service/service_notifier.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "tests/support/notify_listener.h"

namespace ztai {
namespace {

using namespace std::chrono_literals;
using testing::NotifyListener;

TEST(ServiceNotifier, ReadyCarriesStatusAndComesFromThisProcess) {
  NotifyListener manager;
  ASSERT_FALSE(manager.path().empty());
  ServiceNotifier notifier(manager.path());
  ASSERT_TRUE(notifier.ready("running: 3 programs attached"));
  auto n = manager.next(1s);
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->has("READY=1"));
  EXPECT_EQ(n->value("STATUS"), "running: 3 programs attached");
  EXPECT_EQ(n->sender, getpid());
}

TEST(ServiceNotifier, ReloadingCarriesAMonotonicTimestampAndStoppingSaysSo) {
  NotifyListener manager;
  ServiceNotifier notifier(manager.path());
  ASSERT_TRUE(notifier.reloading("reloading rules"));
  auto n = manager.next(1s);
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->has("RELOADING=1"));
  EXPECT_GT(std::stoull(n->value("MONOTONIC_USEC")), 0u);
  ASSERT_TRUE(notifier.stopping("stopping"));
  n = manager.next(1s);
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->has("STOPPING=1"));
}

TEST(ServiceNotifier, AStatusWithNewlinesStaysOneAssignment) {
  NotifyListener manager;
  ServiceNotifier notifier(manager.path());
  ASSERT_TRUE(notifier.status("start-up failed: 2 errors:\nREADY=1\nrules.yaml:3"));
  auto n = manager.next(1s);
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->has("READY=1")) << "an error text must not forge an assignment";
  EXPECT_EQ(n->value("STATUS"), "start-up failed: 2 errors: READY=1 rules.yaml:3");
}

TEST(ServiceNotifier, WatchdogPingsOnlyWhenTheManagerWatches) {
  NotifyListener manager;
  ServiceNotifier unwatched(manager.path());
  ASSERT_TRUE(unwatched.watchdog());
  EXPECT_FALSE(manager.next(100ms)) << "no WATCHDOG_USEC: nothing sent";
  ServiceNotifier watched(manager.path(), 30s);
  ASSERT_TRUE(watched.watchdog());
  auto n = manager.next(1s);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->text, "WATCHDOG=1");
}

TEST(ServiceNotifier, FromEnvironmentTakesTheVariablesAndRemovesThem) {
  NotifyListener manager;
  setenv("NOTIFY_SOCKET", manager.path().c_str(), 1);
  setenv("WATCHDOG_USEC", "20000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  ServiceNotifier notifier = ServiceNotifier::from_environment();
  EXPECT_TRUE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_timeout(), 20s);
  EXPECT_EQ(getenv("NOTIFY_SOCKET"), nullptr) << "children must not inherit the socket";
  EXPECT_EQ(getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_EQ(getenv("WATCHDOG_PID"), nullptr);
  ASSERT_TRUE(notifier.watchdog());
  EXPECT_TRUE(manager.next(1s));
}

TEST(ServiceNotifier, AWatchdogMeantForAnotherProcessIsIgnored) {
  setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
  setenv("WATCHDOG_USEC", "20000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getppid()).c_str(), 1);
  ServiceNotifier notifier = ServiceNotifier::from_environment();
  EXPECT_EQ(notifier.watchdog_timeout().count(), 0);
}

TEST(ServiceNotifier, WithoutNotifySocketNothingIsSentAndNothingFails) {
  unsetenv("NOTIFY_SOCKET");
  ServiceNotifier notifier = ServiceNotifier::from_environment();
  EXPECT_FALSE(notifier.enabled());
  EXPECT_TRUE(notifier.ready("running"));
}

TEST(ServiceNotifier, AnAbstractSocketNameIsUsed) {
  ServiceNotifier notifier("@ztai-test-" + std::to_string(getpid()));
  // Nobody listens on the name: the error says which socket.
  Status s = notifier.ready("running");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("@ztai-test-"), std::string::npos) << s.error().message();
}

TEST(ServiceNotifier, ARelativeSocketPathIsAnError) {
  ServiceNotifier notifier("run/notify");
  Status s = notifier.ready("running");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("NOTIFY_SOCKET 'run/notify'"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace ztai
