// The process and file sections of a WorkloadPolicy: exec allow/deny lists, protected files,
// io_uring and unix sockets (docs/enforcement.md). Parsed by process_sections.cpp.
//
//   spec:
//     exec:     { default: deny, allow: [ { path: /usr/bin/python3.11, sha256: "4f0c..." },
//                                         { path: "/opt/app/bin/*" } ],
//                 deny: [ { path: /usr/bin/curl } ] }
//     files:    { deny: [ { path: /etc/shadow, access: [read, write] } ] }
//     io_uring: deny
//     unix:     { deny: [ { path: /var/run/docker.sock } ] }
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/common/path_pattern.h"

namespace ztai::policy {

struct ExecPolicyRule {
  std::string name;    // `name:` when given, else "exec.allow[N]" / "exec.deny[N]"
  PathPattern path;    // an exact file or a directory ("/dir/*"); never a suffix
  std::string sha256;  // lower-case hex; allow rules only
  uint32_t line = 0;
};

struct ExecSpec {
  bool present = false;
  bool default_deny = true;  // `default: deny` (the default) or allow
  std::vector<ExecPolicyRule> allow;
  std::vector<ExecPolicyRule> deny;
};

enum FileAccessBits : uint8_t { kAccessRead = 1, kAccessWrite = 2, kAccessExec = 4 };

struct FilePolicyRule {
  std::string name;  // "files.deny[N]" unless named
  PathPattern path;  // an exact file or a directory tree; never a suffix
  uint8_t access = 0;
  uint32_t line = 0;
};

struct FilesSpec {
  bool present = false;
  std::vector<FilePolicyRule> deny;
};

struct UnixPolicyRule {
  std::string name;  // "unix.deny[N]" unless named
  std::string path;  // absolute, shorter than 108 bytes
  uint32_t line = 0;
};

struct UnixSpec {
  bool present = false;
  std::vector<UnixPolicyRule> deny;
};

struct ProcessSpecs {
  ExecSpec exec;
  FilesSpec files;
  bool io_uring_deny = false;  // `io_uring: deny`
  UnixSpec unix_sockets;
};

}  // namespace ztai::policy
