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
  endforeach()
  if(TARGET dotcompute-kernelc)
    set(generator dotcompute-kernelc)  # building dotcompute itself
  else()
    set(generator dotcompute::kernelc)
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${generator} ${arguments}
    DEPENDS ${inputs} ${generator}
    COMMENT "dotcompute-kernelc: generating kernels for ${target}"
    VERBATIM)
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
