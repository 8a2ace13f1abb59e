#include "exporters/kafka/kafka_exporter.h"

#include <librdkafka/rdkafka.h>

#include "exporters/format/format.h"

namespace ztai {
namespace {

// Written by the delivery report callback, read after flush.
struct MessageState {
  bool reported = false;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* state = static_cast<MessageState*>(m->_private);
  if (!state) return;
  state->reported = true;
  state->err = m->err;
}

class KafkaExporter : public BatchExporter {
 public:
  KafkaExporter(std::string name, rd_kafka_t* rk, rd_kafka_topic_t* topic, FormatFn format, int timeout_ms)
      : name_(std::move(name)), rk_(rk), topic_(topic), format_(format), timeout_ms_(timeout_ms) {}
  ~KafkaExporter() override {
    rd_kafka_flush(rk_, timeout_ms_);
    rd_kafka_topic_destroy(topic_);
    rd_kafka_destroy(rk_);
  }
  KafkaExporter(const KafkaExporter&) = delete;
  KafkaExporter& operator=(const KafkaExporter&) = delete;

  std::string_view name() const override { return name_; }
  size_t max_batch() const override { return 1000; }

  DeliveryReport deliver(std::span<const Record> batch) override {
    DeliveryReport report;
    states_.assign(batch.size(), MessageState{});
    for (size_t i = 0; i < batch.size(); ++i) {
      value_.clear();
      format_(batch[i], value_);
      if (rd_kafka_produce(topic_, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value_.data(), value_.size(), nullptr,
                           0, &states_[i]) != 0) {
        states_[i].reported = true;
        states_[i].err = rd_kafka_last_error();
      }
    }
    if (rd_kafka_flush(rk_, timeout_ms_ + 1000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Nothing may outlive this call while pointing at states_: purge and collect the reports.
      rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_flush(rk_, 1000);
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      const MessageState& s = states_[i];
      if (s.reported && s.err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      std::string why = s.reported ? rd_kafka_err2str(s.err) : "no delivery report";
      if (s.reported && s.err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
        report.rejected.emplace_back(i, why);
      } else {
        report.retry.push_back(i);
        report.error = make_error(ErrorCode::kIo, "kafka: {}", why);
      }
    }
    return report;
  }

 private:
  std::string name_;
  rd_kafka_t* rk_;
  rd_kafka_topic_t* topic_;
  FormatFn format_;
  int timeout_ms_;
  std::vector<MessageState> states_;
  std::string value_;
};

}  // namespace

Result<std::unique_ptr<Exporter>> make_kafka_exporter(YamlMap& config, const ExporterContext& ctx) {
  auto brokers = config.get_string("brokers", "");
  if (!brokers) return brokers.error();
  auto topic = config.get_string("topic", "");
  if (!topic) return topic.error();
  if (brokers->empty() || topic->empty()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: outputs[kafka]: 'brokers' and 'topic' are required",
                      config.where(config.node()));
  }
  auto timeout = config.get_uint("timeout_ms", 30'000, 1'000, 600'000);
  if (!timeout) return timeout.error();
  auto format = read_format(config, "json");
  if (!format) return format.error();
  auto props = config.get_map("properties");
  if (!props) return props.error();
  std::vector<std::pair<std::string, std::string>> settings = {
      {"bootstrap.servers", *brokers},
      {"enable.idempotence", "true"},  // implies acks=all and ordered retries without duplicates
      {"message.timeout.ms", std::to_string(*timeout)},
      {"linger.ms", "5"},
      {"client.id", "ztai"},
  };
  YAML::Node prop_nodes = props->node();
  for (const auto& kv : prop_nodes.IsMap() ? prop_nodes : YAML::Node(YAML::NodeType::Map)) {
    std::string key = kv.first.Scalar();
    auto v = props->get_string(key, "");
    if (!v) return v.error();
    settings.emplace_back(key, *v);
  }
  if (Status s = props->finish(); !s) return s.error();
  if (Status s = config.finish(); !s) return s.error();

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : settings) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return make_error(ErrorCode::kInvalidArgument, "{}: kafka property {}: {}", config.where(config.node()), k, err);
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return make_error(ErrorCode::kInvalidArgument, "{}: kafka: {}", config.where(config.node()), err);
  }
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic->c_str(), nullptr);
  if (!t) {
    rd_kafka_destroy(rk);
    return make_error(ErrorCode::kInvalidArgument, "{}: kafka topic {}: {}", config.where(config.node()), *topic,
                      rd_kafka_err2str(rd_kafka_last_error()));
  }
  return std::unique_ptr<Exporter>(
      std::make_unique<KafkaExporter>(ctx.output_name, rk, t, *format, static_cast<int>(*timeout)));
}

}  // namespace ztai
