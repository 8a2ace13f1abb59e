# ztai_bpf_skeleton(<name> SOURCES a.bpf.c b.bpf.c ... [DEPENDS headers...])
#
# Compiles each BPF source with clang (-target bpf, CO-RE against the vendored vmlinux.h),
# links them into one object with `bpftool gen object`, generates `<name>.skel.h` with
# `bpftool gen skeleton`, and defines an INTERFACE target <name> that puts the skeleton on the
# include path.
find_program(ZTAI_CLANG NAMES clang clang-14 REQUIRED)
find_program(ZTAI_BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(ZTAI_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(ZTAI_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "ztai: no vmlinux.h for ${CMAKE_SYSTEM_PROCESSOR}")
endif()

function(ztai_bpf_skeleton name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/${name})
  file(MAKE_DIRECTORY ${out_dir})
  set(vmlinux_dir ${PROJECT_SOURCE_DIR}/bpf/vmlinux/${ZTAI_BPF_ARCH})
  file(GLOB bpf_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/bpf/abi/*.h ${PROJECT_SOURCE_DIR}/bpf/lib/*.h)

  set(objects)
  foreach(src ${ARG_SOURCES})
    get_filename_component(stem ${src} NAME_WE)
    set(obj ${out_dir}/${stem}.bpf.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${ZTAI_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${ZTAI_BPF_ARCH}
              -Wall -Werror -I${vmlinux_dir} -I${PROJECT_SOURCE_DIR}/bpf -I${PROJECT_SOURCE_DIR}
              -c ${src} -o ${obj}
      DEPENDS ${src} ${bpf_headers} ${ARG_DEPENDS}
      COMMENT "BPF ${stem}"
      VERBATIM)
    list(APPEND objects ${obj})
  endforeach()

  set(linked ${out_dir}/${name}.bpf.o)
  set(skel ${out_dir}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${linked}
    COMMAND ${ZTAI_BPFTOOL} gen object ${linked} ${objects}
    DEPENDS ${objects}
    COMMENT "BPF link ${name}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${ZTAI_BPFTOOL} gen skeleton ${linked} name ${name} > ${skel}
    DEPENDS ${linked}
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_gen DEPENDS ${skel})
  add_library(${name} INTERFACE)
  target_include_directories(${name} INTERFACE ${out_dir})
  add_dependencies(${name} ${name}_gen)
  set(${name}_OBJECT ${linked} PARENT_SCOPE)
endfunction()
