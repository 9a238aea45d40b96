# Configures and builds SOURCE; passes only if the build fails with a
# file:line:col diagnostic from dotcompute-kernelc.
file(REMOVE_RECURSE ${BINARY})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${BINARY} -G ${GENERATOR} -DKERNELC=${KERNELC}
                        -DKERNELS_MODULE=${KERNELS_MODULE} -DINCLUDE_DIR=${INCLUDE_DIR}
                RESULT_VARIABLE configure_result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT configure_result EQUAL 0)
  message(FATAL_ERROR "configuring the bad project failed unexpectedly:\n${out}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY} RESULT_VARIABLE build_result OUTPUT_VARIABLE out
                ERROR_VARIABLE out)
if(build_result EQUAL 0)
  message(FATAL_ERROR "the build succeeded although bad.dck has dialect errors:\n${out}")
endif()
if(NOT out MATCHES "bad.dck:2:30: error: pointer parameter 'x' must be DC_GLOBAL")
  message(FATAL_ERROR "the build failed without the expected diagnostic:\n${out}")
endif()
message(STATUS "build failed as expected with the dialect diagnostic")
