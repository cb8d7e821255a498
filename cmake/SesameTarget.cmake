# Compile flags shared by every sesame target: strict warnings on our code only
# (third-party headers come in as system headers), optional sanitizers.
set(SESAME_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Woverloaded-virtual -Wimplicit-fallthrough)
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
