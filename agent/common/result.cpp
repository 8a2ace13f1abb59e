#include "agent/common/result.h"

namespace ztai {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kPermission: return "permission denied";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kKernel: return "kernel error";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

}  // namespace ztai
