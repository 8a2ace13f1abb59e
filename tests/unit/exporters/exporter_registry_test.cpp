#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "exporters/exporter.h"

namespace ztai {
namespace {

TEST(ExporterRegistry, CreatesBuiltinsByNameAndRejectsUnknownOnes) {
  MetricsRegistry metrics;
  ExporterContext ctx{metrics, "c.yaml", "out"};
  auto out = builtin_exporters().create("stdout", YAML::Load("{type: stdout}"), ctx);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ((*out)->name(), "out");
  auto bad = builtin_exporters().create("carrier-pigeon", YAML::Load("{type: carrier-pigeon}"), ctx);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("unknown output type 'carrier-pigeon' (known: elasticsearch, file, kafka, otlp, relp, splunk_hec, stdout, syslog, webhook)"),
            std::string::npos);
  ExporterRegistry r;
  EXPECT_TRUE(r.add("x", nullptr));
  EXPECT_FALSE(r.add("x", nullptr));
}

TEST(ExporterRegistry, FileOutputAppendsLinesAndValidatesItsConfig) {
  MetricsRegistry metrics;
  ExporterContext ctx{metrics, "c.yaml", "out"};
  std::string path = std::filesystem::temp_directory_path() / ("ztai-file-" + std::to_string(getpid()));
  YAML::Node cfg = YAML::Load("{type: file}");
  cfg["path"] = path;
  {
    auto e = builtin_exporters().create("file", cfg, ctx);
    ASSERT_TRUE(e) << e.error().message();
    Record r;
    r.rule = "r1";
    ASSERT_TRUE((*e)->send(r));
    r.rule = "r2";
    ASSERT_TRUE((*e)->send(r));
    ASSERT_TRUE((*e)->flush());
  }
  std::ifstream in(path);
  std::string l1, l2, l3;
  std::getline(in, l1);
  std::getline(in, l2);
  EXPECT_NE(l1.find("\"rule\":\"r1\""), std::string::npos);
  EXPECT_NE(l2.find("\"rule\":\"r2\""), std::string::npos);
  EXPECT_FALSE(std::getline(in, l3));
  std::filesystem::remove(path);

  auto missing = builtin_exporters().create("file", YAML::Load("{type: file}"), ctx);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("'path' is required"), std::string::npos);
  auto typo = builtin_exporters().create("file", YAML::Load("{type: file, path: /tmp/x, rotation: 3}"), ctx);
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message().find("unknown key 'rotation'"), std::string::npos);
  auto unwritable = builtin_exporters().create("file", YAML::Load("{type: file, path: /nonexistent/dir/x}"), ctx);
  ASSERT_FALSE(unwritable);
  EXPECT_NE(unwritable.error().message().find("cannot open output file /nonexistent/dir/x"), std::string::npos);
}

}  // namespace
}  // namespace ztai
