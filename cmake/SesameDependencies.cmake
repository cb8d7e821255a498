# Every dependency comes from a Debian 12 package (see scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
find_package(simdjson REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(tl-expected REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(SQLite3 REQUIRED)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)  # store.sessions = "redis://..."
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)      # store.users = "postgresql://..."
if(SESAME_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(SESAME_BUILD_BENCH)
  find_package(benchmark REQUIRED)
  pkg_check_modules(LIBJWT IMPORTED_TARGET libjwt)
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

# ICU (libicu-dev): usernames' NFKC, case folding, default-ignorable and bidi properties (uc),
# and UTS #39 confusable skeletons (uspoof, in i18n). Only src/auth links it.
find_package(ICU 72 REQUIRED COMPONENTS uc i18n)

# Boost.Beast/Asio 1.81 (libboost1.81-dev): header-only parts; C++20 coroutines.
find_package(Boost 1.81.0 EXACT REQUIRED CONFIG)
add_library(sesame_boost INTERFACE)
target_link_libraries(sesame_boost INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(sesame_boost INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW BOOST_ASIO_DISABLE_BOOST_COROUTINE)

find_package(spdlog REQUIRED)
