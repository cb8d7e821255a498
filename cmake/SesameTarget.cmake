# Compile flags shared by every sesame target: strict warnings on our code only
# (third-party headers come in as system headers), optional sanitizers.
set(SESAME_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Woverloaded-virtual -Wimplicit-fallthrough)
if(SESAME_THREAD_SAFETY)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SESAME_THREAD_SAFETY needs clang (CXX=clang++)")
  endif()
  # common/thread_annotations.h: SESAME_GUARDED_BY and friends are checked, not just read.
  list(APPEND SESAME_WARNINGS -Wthread-safety)
endif()
if(SESAME_WERROR)
  list(APPEND SESAME_WARNINGS -Werror)
endif()

if(SESAME_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(SESAME_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SESAME_BUILD_FUZZ needs clang (CXX=clang++)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

function(sesame_apply_flags target)
  target_compile_options(${target} PRIVATE ${SESAME_WARNINGS})
endfunction()

# Compiles FILES into the C++ source OUTPUT as `const std::array<EmbeddedFile, N> VARIABLE`
# (cmake/EmbedFiles.cmake); regenerated whenever one of them changes.
function(sesame_embed_files)
  cmake_parse_arguments(ARG "" "OUTPUT;VARIABLE" "FILES" ${ARGN})
  # A ;-list would be split into several arguments on the way to the script.
  list(JOIN ARG_FILES "|" joined)
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${CMAKE_COMMAND} "-DOUTPUT=${ARG_OUTPUT}" "-DVARIABLE=${ARG_VARIABLE}"
            "-DFILES=${joined}" "-DSOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake
    DEPENDS ${ARG_FILES} ${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake
    COMMENT "Embedding ${ARG_VARIABLE}"
    VERBATIM)
endfunction()
