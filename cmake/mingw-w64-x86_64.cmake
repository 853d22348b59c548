# Cross-compiling for 64-bit Windows with Debian's mingw-w64 (package
# gcc-mingw-w64-x86-64):
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake
# Test programs run through wine when it is installed.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(TUN_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${TUN_MINGW_TRIPLET}-gcc)
set(CMAKE_RC_COMPILER ${TUN_MINGW_TRIPLET}-windres)

# Headers and libraries of the target only; programs of the build machine.
list(APPEND CMAKE_FIND_ROOT_PATH /usr/${TUN_MINGW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(TUN_WINE NAMES wine64 wine PATHS /usr/lib/wine)
if(TUN_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${TUN_WINE})
endif()
