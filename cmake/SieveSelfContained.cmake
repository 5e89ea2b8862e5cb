# Self-contained link mode: static MLIR, static LLVM component libraries,
# static libstdc++/libgcc and static protobuf-lite, so that the tools need
# only glibc (>= 2.36) and can be carried to a machine without MLIR.
#
# Debian's exported static MLIR targets name the LLVM dylib ("LLVM") in
# their INTERFACE_LINK_LIBRARIES; rewrite that to the component libraries
# MLIR uses, and give LLVMSupport static zlib/zstd (dropping z3, which only
# the Z3 solver uses).

find_library(SIEVE_LIBZ_A NAMES libz.a REQUIRED)
find_library(SIEVE_LIBZSTD_A NAMES libzstd.a REQUIRED)

set(SIEVE_LLVM_COMPONENTS
    LLVMSupport LLVMDemangle LLVMRemarks LLVMBitstreamReader)

foreach(target IN LISTS MLIR_EXPORTED_TARGETS)
  if(NOT TARGET ${target})
    continue()
  endif()
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "STATIC_LIBRARY")
    continue()
  endif()
  get_target_property(libs ${target} INTERFACE_LINK_LIBRARIES)
  if(NOT libs)
    continue()
  endif()
  list(TRANSFORM libs REPLACE "^LLVM$" "${SIEVE_LLVM_COMPONENTS}")
  string(REPLACE ";" ";" libs "${libs}")
  set_target_properties(${target} PROPERTIES INTERFACE_LINK_LIBRARIES "${libs}")
endforeach()

set_target_properties(LLVMSupport PROPERTIES INTERFACE_LINK_LIBRARIES
  "rt;dl;m;pthread;${SIEVE_LIBZ_A};${SIEVE_LIBZSTD_A};LLVMDemangle")

add_link_options(-static-libstdc++ -static-libgcc)
message(STATUS "sieve: self-contained link mode (static MLIR/LLVM/libstdc++/protobuf-lite)")
