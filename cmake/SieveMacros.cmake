# sieve_add_library(name SOURCES... [DEPENDS targets...]
#                   [LINK_LIBS sieve-libs...] [MLIR_LIBS mlir-libs...])
#
# A sieve library. MLIR libraries go through mlir_target_link_libraries, so
# that the development build links libMLIR.so and the self-contained build
# the static archives, never both in one binary.
function(sieve_add_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS;MLIR_LIBS" ${ARGN})
  add_mlir_library(${name} EXCLUDE_FROM_LIBMLIR ${ARG_UNPARSED_ARGUMENTS}
                   DEPENDS ${ARG_DEPENDS})
  if(ARG_LINK_LIBS)
    target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS})
  endif()
  if(ARG_MLIR_LIBS)
    mlir_target_link_libraries(${name} PUBLIC ${ARG_MLIR_LIBS})
  endif()
endfunction()
