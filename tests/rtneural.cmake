# Models in RTNeural's JSON format (tests/data/rtneural/, made by tools/make_rtneural_fixtures.py)
# converted by tools/rtneural_to_safetensors.py at test time, then run by test_rtneural against
# the outputs RTNeural computes for them; and the converter's one-line errors for bad models.
# Included at the end of tests/CMakeLists.txt. The converter needs Python 3 only (no packages).
find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "ctnn: Python 3 not found: the RTNeural converter tests (test_rtneural, \"rtneural: ...\") are skipped")
  return()
endif()

set(CTNN_RTNEURAL_TOOL ${PROJECT_SOURCE_DIR}/tools/rtneural_to_safetensors.py)
set(CTNN_RTNEURAL_DATA ${CMAKE_CURRENT_SOURCE_DIR}/data/rtneural)
set(CTNN_RTNEURAL_OUT ${CMAKE_CURRENT_BINARY_DIR}/rtneural)

# rtneural_convert(<name> <json stem> [options...]): converts data/rtneural/<stem>.json into
# <build>/tests/rtneural/<name>.safetensors, the printed declaration into <name>.txt.
function(rtneural_convert name stem)
  string(JOIN "|" options ${ARGN})
  add_test(NAME "rtneural: convert ${name}"
           COMMAND ${CMAKE_COMMAND} -DPYTHON=${Python3_EXECUTABLE} -DTOOL=${CTNN_RTNEURAL_TOOL}
                   -DJSON=${CTNN_RTNEURAL_DATA}/${stem}.json -DOUT=${CTNN_RTNEURAL_OUT}/${name} "-DOPTIONS=${options}"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/rtneural_convert.cmake)
  set_tests_properties("rtneural: convert ${name}" PROPERTIES FIXTURES_SETUP ctnn_rtneural_files)
endfunction()

rtneural_convert(dense_tanh dense_tanh)
rtneural_convert(dense_tanh_flat dense_tanh --flat)
rtneural_convert(conv_stack conv_stack)
rtneural_convert(gru gru --length 2048)
rtneural_convert(lstm lstm)
rtneural_convert(prelu prelu)
rtneural_convert(batchnorm batchnorm)
rtneural_convert(activations activations)
rtneural_convert(softmax_flat softmax --flat)
rtneural_convert(mixed mixed)

add_executable(test_rtneural test_rtneural.cpp)
target_link_libraries(test_rtneural PRIVATE ctnn_catch_main ctnn::ctnn ctnn_dev_flags)
target_compile_definitions(test_rtneural PRIVATE CTNN_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/data"
                                                 CTNN_RTNEURAL_DIR="${CTNN_RTNEURAL_OUT}")
catch_discover_tests(test_rtneural TEST_PREFIX "test_rtneural: " EXTRA_ARGS -w NoTests PROPERTIES FIXTURES_REQUIRED ctnn_rtneural_files)

# Bad models: one line on stderr and stdout together, "error: <file>: layer <i> (<type>): ...",
# exit status 1, no traceback. rtneural_refuses(<case> <json under data/rtneural> <regex> [options...]):
# <regex> matches the message's end, after "error: <file>".
function(rtneural_refuses case json regex)
  string(JOIN " " options ${ARGN})
  add_test(NAME "rtneural: refuses ${case}"
           COMMAND bash -c "\"$0\" \"$1\" \"$2\" \"$3\" ${options} 2>&1; echo \"exit status $?\""
                   ${Python3_EXECUTABLE} ${CTNN_RTNEURAL_TOOL} ${CTNN_RTNEURAL_DATA}/${json}
                   ${CTNN_RTNEURAL_OUT}/refused.safetensors)
  set_tests_properties("rtneural: refuses ${case}" PROPERTIES
    PASS_REGULAR_EXPRESSION "^error: [^\n]*${regex}[^\n]*\nexit status 1\n*$" FAIL_REGULAR_EXPRESSION "Traceback")
endfunction()

rtneural_refuses("a missing file" bad/missing.json "missing\\.json: cannot open: No such file or directory")
rtneural_refuses("a file that is not JSON" bad/not_json.json "not_json\\.json: is not valid JSON: ")
rtneural_refuses("an unknown layer type" bad/unknown_type.json ": layer 1 \\(maxpool1d\\): unknown layer type; ")
rtneural_refuses("a transposed dense kernel" bad/dense_transposed.json
                 ": layer 0 \\(dense\\): weights\\[0\\] must be \\[1\\]\\[8\\] \\(the kernel, [^\n]*found \\[8\\]\\[1\\] \\(transposed\\?\\)")
rtneural_refuses("sizes that do not follow" bad/size_mismatch.json
                 ": layer 1 \\(gru\\): weights\\[0\\] must be \\[8\\]\\[24\\] [^\n]*the layer gets 8 values[^\n]*found \\[4\\]\\[24\\]")
rtneural_refuses("conv2d" bad/conv2d.json ": layer 0 \\(conv2d\\): RTNeural's conv2d [^\n]*no streaming layer")
rtneural_refuses("a GRU with reset_after=False" bad/gru_reset_after_false.json
                 ": layer 0 \\(gru\\): weights\\[2\\] is one bias of \\[24\\], a Keras GRU with reset_after=False")
rtneural_refuses("an activation RTNeural does not know" bad/activation_unknown.json
                 ": layer 0 \\(dense\\): its \"activation\" \"swish\" is not one RTNeural's loader knows")
rtneural_refuses("softmax in a stream" bad/softmax_stream.json
                 ": layer 1 \\(activation\\): softmax over each time step's values is not a layer ctnn::Stream runs: [^\n]*--flat")
rtneural_refuses("a strided conv1d" bad/conv1d_stride.json ": layer 0 \\(conv1d\\): \"strides\" \\[2\\]; ")
rtneural_refuses("a GRU in a flat model" bad/gru_flat.json ": layer 0 \\(gru\\): a gru keeps state [^\n]*without --flat" --flat)
rtneural_refuses("a length shorter than the convolutions' reach" conv_stack.json
                 "conv_stack\\.json: --length 8: the convolutions reach back 10 steps, so [^\n]* at least 11 " --length 8)
rtneural_refuses("a non-finite weight" bad/nan_weight.json ": layer 0 \\(dense\\): weights\\[1\\]\\[2\\] is nan; ")
