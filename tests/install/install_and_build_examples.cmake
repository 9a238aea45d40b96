# Installs the built dotcompute into WORK/prefix, configures examples/ out of
# tree against it with find_package(dotcompute), builds them, runs the example
# programs, and runs the conformance suite (CONFORMANCE) on the example
# backend plugin built out of tree.
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK}/prefix
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "install failed:\n${out}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${EXAMPLES} -B ${WORK}/examples -G ${GENERATOR}
                        -DCMAKE_PREFIX_PATH=${WORK}/prefix -DCMAKE_BUILD_TYPE=Release
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "configuring the examples against the installed package failed:\n${out}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK}/examples RESULT_VARIABLE result OUTPUT_VARIABLE out
                ERROR_VARIABLE out)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "building the examples failed:\n${out}")
endif()
foreach(example hello_axpy custom_selector)
  execute_process(COMMAND ${WORK}/examples/${example} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${example} failed:\n${out}")
  endif()
  message(STATUS "${example}: ${out}")
endforeach()

set(plugins ${WORK}/examples/plugins)
if(NOT EXISTS ${plugins}/libdotcompute_offload.so)
  message(FATAL_ERROR "the example plugin was not built out of tree")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env DOTCOMPUTE_PLUGIN_PATH=${plugins} DOTCOMPUTE_BACKENDS=cpu,offload
                        ${CONFORMANCE} --gtest_filter=*offload*:*Offload* --gtest_brief=1
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT result EQUAL 0 OR NOT out MATCHES "PASSED  \\] [1-9][0-9]* tests")
  message(FATAL_ERROR "the conformance suite failed on the out-of-tree example plugin:\n${out}")
endif()
string(REGEX MATCH "PASSED  \\] [0-9]+ tests" summary "${out}")
message(STATUS "conformance on the out-of-tree offload plugin: ${summary}")
