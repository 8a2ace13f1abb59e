#include "exporters/syslog/syslog_exporter.h"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "exporters/format/syslog_format.h"

namespace ztai {
namespace {

enum class Protocol { kUdp, kTcp, kTls };

struct SyslogTarget {
  Protocol protocol = Protocol::kTcp;
  std::string host;
  std::string port;
  std::chrono::milliseconds timeout{10'000};
  std::string ca_file, cert_file, key_file, server_name;
};

std::string ssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

class SyslogExporter : public Exporter {
 public:
  SyslogExporter(std::string name, SyslogTarget t, SyslogFormatOptions f, SSL_CTX* ctx)
      : name_(std::move(name)), t_(std::move(t)), f_(std::move(f)), ctx_(ctx) {}
  ~SyslogExporter() override {
    disconnect();
    if (ctx_) SSL_CTX_free(ctx_);
  }
  SyslogExporter(const SyslogExporter&) = delete;
  SyslogExporter& operator=(const SyslogExporter&) = delete;

  std::string_view name() const override { return name_; }

  Status send(const Record& record) override {
    if (fd_ < 0 || peer_closed()) {
      disconnect();
      if (Status s = connect_now(); !s) return s;
    }
    msg_.clear();
    format_rfc5424(record, f_, msg_);
    if (t_.protocol == Protocol::kUdp) {
      if (::send(fd_, msg_.data(), msg_.size(), 0) < 0) {
        Error e = make_error(ErrorCode::kIo, "syslog udp {}:{}: {}", t_.host, t_.port, strerror(errno));
        disconnect();
        return e;
      }
      return {};
    }
    frame_ = std::to_string(msg_.size());
    frame_ += ' ';
    frame_ += msg_;
    if (Status s = write_all(frame_); !s) {
      disconnect();
      return s;
    }
    return {};
  }

  size_t max_batch() const override { return 512; }

 private:
  // A receiver that went away shows as a readable socket with nothing to read; checking before
  // each write keeps alerts from being written into a dead connection.
  bool peer_closed() {
    if (t_.protocol == Protocol::kUdp) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLHUP | POLLERR)) return true;
    char c;
    ssize_t n = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  Status connect_now() {
    addrinfo hints{};
    hints.ai_socktype = t_.protocol == Protocol::kUdp ? SOCK_DGRAM : SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(t_.host.c_str(), t_.port.c_str(), &hints, &res); rc != 0) {
      return make_error(ErrorCode::kIo, "syslog {}:{}: {}", t_.host, t_.port, gai_strerror(rc));
    }
    std::string last = "no address";
    for (addrinfo* a = res; a; a = a->ai_next) {
      int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      timeval tv{static_cast<time_t>(t_.timeout.count() / 1000),
                 static_cast<suseconds_t>((t_.timeout.count() % 1000) * 1000)};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
        fd_ = fd;
        break;
      }
      last = strerror(errno);
      close(fd);
    }
    freeaddrinfo(res);
    if (fd_ < 0) return make_error(ErrorCode::kIo, "syslog: cannot connect to {}:{}: {}", t_.host, t_.port, last);
    if (t_.protocol != Protocol::kTls) return {};
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    const std::string& name = t_.server_name.empty() ? t_.host : t_.server_name;
    SSL_set_tlsext_host_name(ssl_, name.c_str());
    SSL_set1_host(ssl_, name.c_str());
    if (SSL_connect(ssl_) != 1) {
      long verify = SSL_get_verify_result(ssl_);
      std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : ssl_error();
      disconnect();
      return make_error(ErrorCode::kIo, "syslog tls {}:{}: handshake failed: {}", t_.host, t_.port, why);
    }
    return {};
  }

  Status write_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n;
      if (ssl_) {
        n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
        if (n <= 0) return make_error(ErrorCode::kIo, "syslog tls {}:{}: write: {}", t_.host, t_.port, ssl_error());
      } else {
        n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return make_error(ErrorCode::kIo, "syslog tcp {}:{}: write: {}", t_.host, t_.port, strerror(errno));
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
  }

  void disconnect() {
    if (ssl_) {
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  std::string name_;
  SyslogTarget t_;
  SyslogFormatOptions f_;
  SSL_CTX* ctx_;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  std::string msg_, frame_;
};

Result<SSL_CTX*> make_tls_context(const SyslogTarget& t, const std::string& where) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return make_error(ErrorCode::kInternal, "{}: {}", where, ssl_error());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  bool ok = t.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx) == 1
                              : SSL_CTX_load_verify_locations(ctx, t.ca_file.c_str(), nullptr) == 1;
  if (ok && !t.cert_file.empty()) {
    ok = SSL_CTX_use_certificate_chain_file(ctx, t.cert_file.c_str()) == 1 &&
         SSL_CTX_use_PrivateKey_file(ctx, t.key_file.c_str(), SSL_FILETYPE_PEM) == 1 &&
         SSL_CTX_check_private_key(ctx) == 1;
  }
  if (!ok) {
    std::string why = ssl_error();
    SSL_CTX_free(ctx);
    return make_error(ErrorCode::kInvalidArgument, "{}: tls: {}", where, why);
  }
  return ctx;
}

}  // namespace

Result<std::unique_ptr<Exporter>> make_syslog_exporter(YamlMap& config, const ExporterContext& ctx) {
  SyslogTarget t;
  YAML::Node proto_node = config.get("protocol");
  auto proto = config.get_string("protocol", "tcp");
  if (!proto) return proto.error();
  if (*proto == "udp") {
    t.protocol = Protocol::kUdp;
  } else if (*proto == "tcp") {
    t.protocol = Protocol::kTcp;
  } else if (*proto == "tls") {
    t.protocol = Protocol::kTls;
  } else {
    return make_error(ErrorCode::kInvalidArgument, "{}: protocol: '{}' is not udp, tcp or tls",
                      config.where(proto_node), *proto);
  }
  auto host = config.get_string("host", "");
  if (!host) return host.error();
  if (host->empty()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: outputs[syslog]: 'host' is required",
                      config.where(config.node()));
  }
  t.host = *host;
  auto port = config.get_uint("port", t.protocol == Protocol::kTls ? 6514 : 514, 1, 65535);
  if (!port) return port.error();
  t.port = std::to_string(*port);
  auto timeout = config.get_uint("timeout_ms", 10'000, 100, 600'000);
  if (!timeout) return timeout.error();
  t.timeout = std::chrono::milliseconds(*timeout);
  auto tls = config.get_map("tls");
  if (!tls) return tls.error();
  for (auto [key, field] : {std::pair{"ca_file", &t.ca_file}, std::pair{"cert_file", &t.cert_file},
                            std::pair{"key_file", &t.key_file}, std::pair{"server_name", &t.server_name}}) {
    auto v = tls->get_string(key, "");
    if (!v) return v.error();
    *field = *v;
  }
  if (Status s = tls->finish(); !s) return s.error();
  auto format = read_syslog_format(config);
  if (!format) return format.error();
  if (Status s = config.finish(); !s) return s.error();
  SSL_CTX* ssl_ctx = nullptr;
  if (t.protocol == Protocol::kTls) {
    auto c = make_tls_context(t, config.where(tls->node().IsDefined() ? tls->node() : config.node()));
    if (!c) return c.error();
    ssl_ctx = *c;
  }
  return std::unique_ptr<Exporter>(
      std::make_unique<SyslogExporter>(ctx.output_name, std::move(t), std::move(*format), ssl_ctx));
}

}  // namespace ztai
