# Fails when a C++ source of the repository is not clang-formatted.
file(GLOB_RECURSE sources ${ROOT}/include/*.hpp ${ROOT}/include/*.h ${ROOT}/src/*.cpp ${ROOT}/src/*.hpp
     ${ROOT}/tools/*.cpp ${ROOT}/tools/*.hpp ${ROOT}/tests/*.cpp ${ROOT}/tests/*.hpp ${ROOT}/bench/*.cpp
     ${ROOT}/bench/*.hpp ${ROOT}/samples/*.cpp ${ROOT}/samples/*.hpp ${ROOT}/examples/*.cpp)
execute_process(COMMAND ${CLANG_FORMAT} --dry-run -Werror ${sources} RESULT_VARIABLE result ERROR_VARIABLE out)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "clang-format: these files need formatting (run clang-format -i):\n${out}")
endif()
