#include "exporters/file/file_exporter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "exporters/format/json_format.h"
#include "exporters/line_writer.h"

namespace ztai {
namespace {

Status gzip_file(const std::string& from, const std::string& to) {
  FILE* in = fopen(from.c_str(), "rbe");
  if (!in) return make_error(ErrorCode::kIo, "cannot open {}: {}", from, strerror(errno));
  gzFile out = gzopen(to.c_str(), "wb");
  if (!out) {
    fclose(in);
    return make_error(ErrorCode::kIo, "cannot create {}", to);
  }
  char buf[1 << 16];
  size_t n;
  bool ok = true;
  while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0) ok = gzwrite(out, buf, static_cast<unsigned>(n)) == int(n);
  ok = ok && !ferror(in);
  fclose(in);
  ok = gzclose(out) == Z_OK && ok;
  if (!ok) return make_error(ErrorCode::kIo, "cannot compress {} to {}", from, to);
  unlink(from.c_str());
  return {};
}

class FileExporter : public Exporter {
 public:
  explicit FileExporter(FileOutputOptions o) : o_(std::move(o)) {}
  ~FileExporter() override {
    if (fd_ >= 0) close(fd_);
  }
  FileExporter(const FileExporter&) = delete;
  FileExporter& operator=(const FileExporter&) = delete;

  Status open() {
    fd_ = ::open(o_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd_ < 0) return make_error(ErrorCode::kIo, "cannot open output file {}: {}", o_.path, strerror(errno));
    struct stat st {};
    size_ = fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
    return {};
  }

  std::string_view name() const override { return "file"; }

  Status send(const Record& record) override {
    if (fd_ < 0) {
      if (Status s = open(); !s) return s;
    }
    line_.clear();
    o_.format(record, line_);
    line_ += '\n';
    if (o_.rotate_bytes && size_ > 0 && size_ + line_.size() > o_.rotate_bytes) {
      if (Status s = rotate(); !s) return s;
    }
    // Unbuffered, like the stdout output: a path that is a FIFO can block like a pipe.
    if (Status s = write_fully(fd_, line_, o_.path); !s) return s;
    size_ += line_.size();
    return {};
  }

 private:
  std::string rotated(uint32_t i) const { return o_.path + "." + std::to_string(i) + (o_.compress ? ".gz" : ""); }

  Status rotate() {
    close(fd_);
    fd_ = -1;
    unlink(rotated(o_.keep_files).c_str());
    for (uint32_t i = o_.keep_files; i > 1; --i) rename(rotated(i - 1).c_str(), rotated(i).c_str());
    if (o_.compress) {
      std::string plain = o_.path + ".1";
      if (rename(o_.path.c_str(), plain.c_str()) != 0) {
        return make_error(ErrorCode::kIo, "cannot rotate {}: {}", o_.path, strerror(errno));
      }
      if (Status s = gzip_file(plain, rotated(1)); !s) return s;
    } else if (rename(o_.path.c_str(), rotated(1).c_str()) != 0) {
      return make_error(ErrorCode::kIo, "cannot rotate {}: {}", o_.path, strerror(errno));
    }
    return open();
  }

  FileOutputOptions o_;
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string line_;
};

}  // namespace

Result<std::unique_ptr<Exporter>> open_file_exporter(FileOutputOptions options) {
  auto e = std::make_unique<FileExporter>(std::move(options));
  if (Status s = e->open(); !s) return s.error();
  return std::unique_ptr<Exporter>(std::move(e));
}

Result<std::unique_ptr<Exporter>> open_file_exporter(const std::string& path) {
  return open_file_exporter(FileOutputOptions{path, format_json});
}

Result<std::unique_ptr<Exporter>> make_file_exporter(YamlMap& config, const ExporterContext&) {
  FileOutputOptions o;
  YAML::Node path_node = config.get("path");
  auto path = config.get_string("path", "");
  if (!path) return path.error();
  if (path->empty()) {
    return make_error(ErrorCode::kInvalidArgument, "{}: outputs[file]: 'path' is required",
                      config.where(config.node()));
  }
  o.path = *path;
  auto format = read_format(config, "json");
  if (!format) return format.error();
  o.format = *format;
  auto rotate = config.get_map("rotate");
  if (!rotate) return rotate.error();
  auto bytes = rotate->get_uint("max_bytes", 0, 0, 1ull << 40);
  if (!bytes) return bytes.error();
  auto keep = rotate->get_uint("keep_files", 5, 1, 1000);
  if (!keep) return keep.error();
  auto compress = rotate->get_bool("compress", false);
  if (!compress) return compress.error();
  o.rotate_bytes = *bytes;
  o.keep_files = static_cast<uint32_t>(*keep);
  o.compress = *compress;
  if (Status s = rotate->finish(); !s) return s.error();
  if (Status s = config.finish(); !s) return s.error();
  auto exporter = open_file_exporter(std::move(o));
  if (!exporter) return exporter.error().context(config.where(path_node));
  return exporter;
}

}  // namespace ztai
