# The command line of a Windows example, run under the emulator (wine) as
# the Linux examples' command_line case runs theirs: --help explains every
# flag and exits 0; a stray argument, an unknown option and a bad value are
# named and exit 2 (a usage error), before any device is opened.
# Usage: cmake -DEMULATOR=wine64 -DEXAMPLE=path.exe -P check_example_command_line.cmake
# expect(STATUS TEXT ARGS...): the example run with ARGS exits with STATUS
# and prints TEXT (a regular expression) on stdout or stderr.
function(expect status text)
  execute_process(COMMAND ${EMULATOR} ${EXAMPLE} ${ARGN}
                  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result STREQUAL "${status}" OR NOT "${out}${err}" MATCHES "${text}")
    message(FATAL_ERROR "'${ARGN}': exit status ${result} (want ${status}), "
            "output without '${text}':\n${out}${err}")
  endif()
endfunction()

expect(0 "\n  -n, --name NAME +[a-z]" --help)
expect(0 "\n  -a, --address A/P +[a-z]" --help)
expect(0 "\n  -t, --timeout S +[a-z]" --help)
expect(0 "\n  -h, --help +this text" --help)
expect(2 "unexpected argument 'stray'" stray)
expect(2 "no-such-option" --no-such-option)
expect(2 "--timeout: 'abc'" -t abc)
