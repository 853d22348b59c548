# Cross-compile with `zig cc`, for the compile check of the macOS and iOS
# backends on a Linux machine:
#   TUN_ZIG=/path/to/zig TUN_ZIG_TARGET=aarch64-macos \
#     cmake -DCMAKE_TOOLCHAIN_FILE=cmake/zig-cross.cmake ...
# iOS and tvOS (aarch64-ios, aarch64-tvos): zig ships no iOS SDK, so the
# C headers are its macOS ones (the same Darwin libc; TargetConditionals.h
# picks TARGET_OS_IPHONE from the target) and nothing can be linked: build
# only the tun_static target (objects and an archive).
# The settings come from the environment so that CMake's compiler checks,
# which re-read this file in a fresh scope, see them too.
if(NOT DEFINED ENV{TUN_ZIG} OR NOT DEFINED ENV{TUN_ZIG_TARGET})
  message(FATAL_ERROR "zig-cross.cmake: set TUN_ZIG and TUN_ZIG_TARGET")
endif()
set(TUN_ZIG_TARGET $ENV{TUN_ZIG_TARGET})
if(TUN_ZIG_TARGET MATCHES "-macos")
  set(CMAKE_SYSTEM_NAME Darwin)
elseif(TUN_ZIG_TARGET MATCHES "-(ios|tvos)$")
  set(CMAKE_SYSTEM_NAME Darwin)
  set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
  get_filename_component(tun_zig_dir "$ENV{TUN_ZIG}" DIRECTORY)
  set(tun_zig_macos_libc "${tun_zig_dir}/lib/libc/include/any-macos-any")
  if(NOT EXISTS "${tun_zig_macos_libc}/TargetConditionals.h")
    message(FATAL_ERROR "zig-cross.cmake: no macOS headers in ${tun_zig_macos_libc}")
  endif()
  set(CMAKE_C_FLAGS_INIT "-isystem ${tun_zig_macos_libc}")
elseif(TUN_ZIG_TARGET MATCHES "-freebsd")
  set(CMAKE_SYSTEM_NAME FreeBSD)
elseif(TUN_ZIG_TARGET MATCHES "-netbsd")
  set(CMAKE_SYSTEM_NAME NetBSD)
elseif(TUN_ZIG_TARGET MATCHES "-openbsd")
  set(CMAKE_SYSTEM_NAME OpenBSD)
else()
  message(FATAL_ERROR "zig-cross.cmake: unknown target ${TUN_ZIG_TARGET}")
endif()
string(REGEX REPLACE "-.*" "" CMAKE_SYSTEM_PROCESSOR ${TUN_ZIG_TARGET})
set(CMAKE_C_COMPILER $ENV{TUN_ZIG})
set(CMAKE_C_COMPILER_ARG1 "cc -target ${TUN_ZIG_TARGET}")
set(CMAKE_AR $ENV{TUN_ZIG_AR})
set(CMAKE_RANLIB $ENV{TUN_ZIG_RANLIB})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
