//===- MappedFiles.cpp - cached read-only mappings of external data -------===//

#include "MappedFiles.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"

#include <unistd.h>

using namespace mlir;
using namespace sieve::ref;

FailureOr<std::shared_ptr<MappedFile>> MappedFiles::map(Operation *op,
                                                        StringRef location) {
  SmallString<256> path;
  if (llvm::sys::path::is_absolute(location))
    path = location;
  else {
    path = baseDir;
    llvm::sys::path::append(path, location);
  }
  auto it = files.find(path);
  if (it != files.end())
    return it->second;
  int fd;
  if (std::error_code ec = llvm::sys::fs::openFileForRead(path, fd)) {
    op->emitError() << "cannot open external data file '" << path
                    << "': " << ec.message();
    return failure();
  }
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(fd, status)) {
    ::close(fd);
    op->emitError() << "cannot stat '" << path << "': " << ec.message();
    return failure();
  }
  uint64_t size = status.getSize();
  auto mapped = std::make_shared<MappedFile>();
  std::error_code ec;
  if (size > 0)
    mapped->region = std::make_unique<llvm::sys::fs::mapped_file_region>(
        llvm::sys::fs::convertFDToNativeFile(fd),
        llvm::sys::fs::mapped_file_region::readonly, size, 0, ec);
  ::close(fd);
  if (ec) {
    op->emitError() << "cannot map '" << path << "': " << ec.message();
    return failure();
  }
  files[path] = mapped;
  return mapped;
}
