#include "exporters/relp/relp_exporter.h"

// librelp's header has no C++ linkage guard.
extern "C" {
#include <librelp.h>
}
#include <sys/socket.h>

#include "exporters/format/syslog_format.h"

namespace ztai {
namespace {

// librelp calls its debug printer unconditionally: it must be set.
void relp_debug_print(char*, ...) {}

struct RelpTarget {
  std::string host;
  std::string port;
  unsigned timeout_s = 10;
  int window = 128;
};

class RelpExporter : public Exporter {
 public:
  RelpExporter(std::string name, RelpTarget t, SyslogFormatOptions f, relpEngine_t* engine)
      : name_(std::move(name)), t_(std::move(t)), f_(std::move(f)), engine_(engine) {}
  ~RelpExporter() override {
    // Closing the session waits for the receiver's answers to what is in flight.
    if (client_) relpEngineCltDestruct(engine_, &client_);
    relpEngineDestruct(&engine_);
  }
  RelpExporter(const RelpExporter&) = delete;
  RelpExporter& operator=(const RelpExporter&) = delete;

  std::string_view name() const override { return name_; }

  Status send(const Record& record) override {
    if (Status s = ensure_session(); !s) return s;
    msg_.clear();
    format_rfc5424(record, f_, msg_);
    relpRetVal rc = relpCltSendSyslog(client_, reinterpret_cast<unsigned char*>(msg_.data()), msg_.size());
    if (rc != RELP_RET_OK) {
      broken_ = true;  // librelp resends its unacknowledged window when we reconnect
      return make_error(ErrorCode::kIo, "relp {}:{}: send failed (librelp error {})", t_.host, t_.port, rc);
    }
    return {};
  }

  size_t max_batch() const override { return 512; }

 private:
  Status ensure_session() {
    if (!client_) {
      if (relpEngineCltConstruct(engine_, &client_) != RELP_RET_OK) {
        client_ = nullptr;
        return make_error(ErrorCode::kInternal, "relp: cannot create a client");
      }
      relpCltSetTimeout(client_, t_.timeout_s);
      relpCltSetWindowSize(client_, t_.window);
      relpRetVal rc = relpCltConnect(client_, AF_UNSPEC, reinterpret_cast<unsigned char*>(t_.port.data()),
                                     reinterpret_cast<unsigned char*>(t_.host.data()));
      if (rc != RELP_RET_OK) {
        relpEngineCltDestruct(engine_, &client_);
        client_ = nullptr;
        return make_error(ErrorCode::kIo, "relp: cannot connect to {}:{} (librelp error {})", t_.host, t_.port, rc);
      }
      broken_ = false;
      return {};
    }
    if (broken_) {
      relpRetVal rc = relpCltReconnect(client_);
      if (rc != RELP_RET_OK) {
        return make_error(ErrorCode::kIo, "relp: cannot reconnect to {}:{} (librelp error {})", t_.host, t_.port, rc);
      }
      broken_ = false;
    }
    return {};
  }

  std::string name_;
  RelpTarget t_;
  SyslogFormatOptions f_;
  relpEngine_t* engine_;
  relpClt_t* client_ = nullptr;
  bool broken_ = false;
  std::string msg_;
};

}  // namespace

Result<std::unique_ptr<Exporter>> make_relp_exporter(YamlMap& config, const ExporterContext& ctx) {
  RelpTarget t;
  auto host = config.get_string("host", "");
  if (!host) return host.error();
  if (host->empty()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: outputs[relp]: 'host' is required",
                      config.where(config.node()));
  }
  t.host = *host;
  auto port = config.get_uint("port", 2514, 1, 65535);
  if (!port) return port.error();
  t.port = std::to_string(*port);
  auto timeout = config.get_uint("timeout_s", 10, 1, 600);
  if (!timeout) return timeout.error();
  t.timeout_s = static_cast<unsigned>(*timeout);
  auto window = config.get_uint("window_size", 128, 1, 65536);
  if (!window) return window.error();
  t.window = static_cast<int>(*window);
  auto format = read_syslog_format(config);
  if (!format) return format.error();
  if (Status s = config.finish(); !s) return s.error();
  relpEngine_t* engine = nullptr;
  if (relpEngineConstruct(&engine) != RELP_RET_OK) return make_error(ErrorCode::kInternal, "relp: no engine");
  relpEngineSetDnsLookupMode(engine, 0);
  relpEngineSetDbgprint(engine, relp_debug_print);
  // The session offers the syslog command; without it the receiver refuses the open.
  relpEngineSetEnableCmd(engine, reinterpret_cast<unsigned char*>(const_cast<char*>("syslog")),
                         eRelpCmdState_Required);
  return std::unique_ptr<Exporter>(
      std::make_unique<RelpExporter>(ctx.output_name, std::move(t), std::move(*format), engine));
}

}  // namespace ztai
