# Fails unless the document ${README} contains the file ${EXAMPLE} verbatim (docs show compiled code).
file(READ "${README}" readme)
file(READ "${EXAMPLE}" example)
string(FIND "${readme}" "${example}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${README} does not contain ${EXAMPLE} verbatim; copy the file into its example block")
endif()
