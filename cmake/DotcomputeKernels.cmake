# dotcompute_add_kernels(<target> <file.dck>...)
#
# Runs dotcompute-kernelc on the .dck files at build time and adds the
# generated C++ to <target>: each kernel is compiled natively for the CPU,
# carries its portable source for JIT backends, and registers itself in the
# process-wide kernel registry at static-initialisation time. A dialect error
# fails the build with `file:line:col: error: ...`.
#
# The generated sources are compiled with -O3 -fno-math-errno and
# -march=${DOTCOMPUTE_KERNEL_ARCH} (default "native"; set it empty for portable
# binaries). <target> is linked PRIVATE to dotcompute::core, so it must use the
# keyword form of target_link_libraries.
#
# With DOTCOMPUTE_CUDA_AOT (on when nvcc is found), each file is also compiled
# by nvcc into a fatbin for DOTCOMPUTE_CUDA_ARCHITECTURES (default 80;90) and
# embedded; the CUDA backend loads it on a matching GPU and JIT-compiles
# otherwise.
find_program(DOTCOMPUTE_NVCC nvcc HINTS ENV CUDACXX PATHS /usr/local/cuda/bin ENV CUDA_HOME PATH_SUFFIXES bin)
if(DOTCOMPUTE_NVCC)
  set(_dotcompute_aot_default ON)
else()
  set(_dotcompute_aot_default OFF)
endif()
option(DOTCOMPUTE_CUDA_AOT "Embed ahead-of-time CUDA fatbins of kernels (needs nvcc)" ${_dotcompute_aot_default})
set(DOTCOMPUTE_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures of the ahead-of-time fatbins")
if(DOTCOMPUTE_CUDA_AOT AND NOT DOTCOMPUTE_NVCC)
  message(FATAL_ERROR "DOTCOMPUTE_CUDA_AOT is ON but nvcc was not found (set DOTCOMPUTE_NVCC or turn it OFF)")
endif()

function(dotcompute_add_kernels target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "dotcompute_add_kernels: '${target}' is not a target")
  endif()
  if(NOT ARGN)
    message(FATAL_ERROR "dotcompute_add_kernels(${target}): no .dck files given")
  endif()
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/dotcompute_kernels/${target})
  set(arguments)
  set(inputs)
  set(outputs)
  set(seen_names)
  set(fatbin_sources)
  set(cuda_sources)
  set(gencode)
  foreach(architecture IN LISTS DOTCOMPUTE_CUDA_ARCHITECTURES)
    list(APPEND gencode -gencode arch=compute_${architecture},code=sm_${architecture})
  endforeach()
  string(REPLACE ";" "," architecture_list "${DOTCOMPUTE_CUDA_ARCHITECTURES}")
  string(MAKE_C_IDENTIFIER "${target}" target_identifier)
  foreach(file IN LISTS ARGN)
    get_filename_component(absolute ${file} ABSOLUTE)
    get_filename_component(name ${file} NAME_WE)
    if(name IN_LIST seen_names)
      message(FATAL_ERROR "dotcompute_add_kernels(${target}): two .dck files are named '${name}'")
    endif()
    list(APPEND seen_names ${name})
    set(output ${out_dir}/${name}.dck.cpp)
    list(APPEND inputs ${absolute})
    list(APPEND outputs ${output})
    list(APPEND arguments ${absolute} -o ${output})
    if(DOTCOMPUTE_CUDA_AOT)
      string(MAKE_C_IDENTIFIER "dc_fatbin_${target_identifier}_${name}" symbol)
      set(cuda_source ${out_dir}/${name}.cu)
      list(APPEND cuda_sources ${cuda_source})
      list(APPEND arguments --cuda-source ${cuda_source} --cuda-symbol ${symbol})
      list(APPEND fatbin_sources "${name}|${cuda_source}|${symbol}")
    endif()
  endforeach()
  if(TARGET dotcompute-kernelc)
    set(generator dotcompute-kernelc)  # building dotcompute itself
  else()
    set(generator dotcompute::kernelc)
  endif()
  add_custom_command(
    OUTPUT ${outputs} ${cuda_sources}
    COMMAND ${generator} ${arguments}
    DEPENDS ${inputs} ${generator}
    COMMENT "dotcompute-kernelc: generating kernels for ${target}"
    VERBATIM)
  set(embedded)
  foreach(entry IN LISTS fatbin_sources)
    string(REPLACE "|" ";" entry "${entry}")
    list(GET entry 0 name)
    list(GET entry 1 cuda_source)
    list(GET entry 2 symbol)
    set(fatbin ${out_dir}/${name}.fatbin)
    add_custom_command(
      OUTPUT ${fatbin}
      COMMAND ${DOTCOMPUTE_NVCC} -fatbin -std=c++17 ${gencode} -o ${fatbin} ${cuda_source}
      DEPENDS ${cuda_source}
      COMMENT "nvcc: ahead-of-time CUDA fatbin of ${name}.dck (sm ${architecture_list})"
      VERBATIM)
    add_custom_command(
      OUTPUT ${fatbin}.cpp
      COMMAND ${generator} --embed-fatbin ${fatbin} --symbol ${symbol} --architectures ${architecture_list}
              -o ${fatbin}.cpp
      DEPENDS ${fatbin} ${generator}
      VERBATIM)
    list(APPEND embedded ${fatbin}.cpp)
  endforeach()
  if(embedded)
    set_source_files_properties(${embedded} PROPERTIES GENERATED TRUE)
    target_sources(${target} PRIVATE ${embedded})
  endif()
  set(options -O3 -fno-math-errno)
  if(DOTCOMPUTE_KERNEL_ARCH)
    list(APPEND options -march=${DOTCOMPUTE_KERNEL_ARCH})
  endif()
  set_source_files_properties(${outputs} PROPERTIES GENERATED TRUE COMPILE_OPTIONS "${options}")
  target_sources(${target} PRIVATE ${outputs})
  if(TARGET dotcompute_core)
    target_link_libraries(${target} PRIVATE dotcompute_core)
  else()
    target_link_libraries(${target} PRIVATE dotcompute::core)
  endif()
endfunction()
