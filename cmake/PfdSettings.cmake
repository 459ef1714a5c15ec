# Shared compile settings. Every pfd target links pfd_settings (language level, sanitizers)
# and pfd_warnings (warnings, errors in dev and CI).
add_library(pfd_settings INTERFACE)
target_compile_features(pfd_settings INTERFACE cxx_std_20)
target_include_directories(pfd_settings INTERFACE ${PROJECT_SOURCE_DIR})
target_compile_definitions(pfd_settings INTERFACE PFD_VERSION="${PROJECT_VERSION}")

if(PFD_SANITIZE AND PFD_TSAN)
  message(FATAL_ERROR "PFD_SANITIZE and PFD_TSAN cannot be combined")
endif()
if(PFD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PFD_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++ "
                        "-DCMAKE_C_COMPILER=clang, or use the fuzz preset")
  endif()
  if(PFD_SANITIZE OR PFD_TSAN)
    message(FATAL_ERROR "PFD_FUZZ brings its own ASan+UBSan; leave PFD_SANITIZE and PFD_TSAN off")
  endif()
  # Every library is instrumented for coverage; only the fuzzers link libFuzzer's main().
  set(_pfd_fuzz_san -fsanitize=address,undefined -fno-omit-frame-pointer
                    -fno-sanitize-recover=undefined)
  target_compile_options(pfd_settings INTERFACE ${_pfd_fuzz_san} -fsanitize=fuzzer-no-link)
  target_link_options(pfd_settings INTERFACE ${_pfd_fuzz_san})
endif()
if(PFD_SANITIZE)
  set(_pfd_san -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_compile_options(pfd_settings INTERFACE ${_pfd_san})
  target_link_options(pfd_settings INTERFACE ${_pfd_san})
endif()
if(PFD_TSAN)
  target_compile_options(pfd_settings INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(pfd_settings INTERFACE -fsanitize=thread)
endif()

add_library(pfd_warnings INTERFACE)
target_compile_options(pfd_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wcast-align -Wunused -Wimplicit-fallthrough
  # -Wnull-dereference is left out: at -O2 GCC 12 reports false positives inside CLI11.
  # Designated initializers may leave defaulted fields out.
  -Wno-missing-field-initializers
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual>)
if(PFD_WERROR)
  target_compile_options(pfd_warnings INTERFACE -Werror)
endif()

find_program(CLANG_FORMAT_PROGRAM NAMES clang-format clang-format-14)
if(CLANG_FORMAT_PROGRAM)
  file(GLOB_RECURSE _pfd_format_sources CONFIGURE_DEPENDS
       ${PROJECT_SOURCE_DIR}/daemon/*.cc ${PROJECT_SOURCE_DIR}/daemon/*.h ${PROJECT_SOURCE_DIR}/client/*.cc
       ${PROJECT_SOURCE_DIR}/client/*.h ${PROJECT_SOURCE_DIR}/tests/*.cc ${PROJECT_SOURCE_DIR}/tests/*.h
       ${PROJECT_SOURCE_DIR}/bench/*.cc ${PROJECT_SOURCE_DIR}/bench/*.h ${PROJECT_SOURCE_DIR}/daemon/*.c)
  add_custom_target(format COMMAND ${CLANG_FORMAT_PROGRAM} -i ${_pfd_format_sources})
  add_custom_target(check-format COMMAND ${CLANG_FORMAT_PROGRAM} --dry-run --Werror ${_pfd_format_sources})
endif()
