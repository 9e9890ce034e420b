# cmake -DCMD=program "-DARGS=a;b" -DCODE=n "-DMATCH=text" -P expect_exit.cmake
# Runs the program and passes if it exits with CODE (not a crash) and its stderr contains MATCH.
execute_process(COMMAND ${CMD} ${ARGS} RESULT_VARIABLE code ERROR_VARIABLE err OUTPUT_QUIET)
string(FIND "${err}" "${MATCH}" at)
if(NOT code STREQUAL "${CODE}" OR at EQUAL -1)
  message(FATAL_ERROR "expected exit ${CODE} and '${MATCH}' on stderr; got exit '${code}' and:\n${err}")
endif()
