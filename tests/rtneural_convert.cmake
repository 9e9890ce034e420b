# cmake -DPYTHON=... -DTOOL=tools/rtneural_to_safetensors.py -DJSON=model.json -DOUT=<dir>/<name>
#       [-DOPTIONS=--flat|--length|32] -P rtneural_convert.cmake
# Converts JSON into OUT.safetensors and keeps what the tool prints (the ctnn::Seq declaration)
# in OUT.txt, for test_rtneural; fails with the tool's message if it refuses. (tests/rtneural.cmake)
get_filename_component(dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
string(REPLACE "|" ";" options "${OPTIONS}")
execute_process(COMMAND "${PYTHON}" "${TOOL}" "${JSON}" "${OUT}.safetensors" ${options}
                OUTPUT_FILE "${OUT}.txt" ERROR_VARIABLE notes RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${TOOL} ${JSON} ${OUT}.safetensors ${options}: exit status ${status}: ${notes}")
endif()
file(READ "${OUT}.txt" printed)
message("${printed}${notes}")
