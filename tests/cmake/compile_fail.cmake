# Policies that must be rejected: each tests/compile_fail/*.cpp is one CTest test
# (compile_fail.<name>) that passes only if the file does not compile and the compiler names the
# requirement written on the file's first line (`// expect: <text>`). See cmake/CompileFail.cmake.
include(CompileFail)

file(GLOB _sessions_compile_fail_cases CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/*.cpp")
list(SORT _sessions_compile_fail_cases)
foreach(_case IN LISTS _sessions_compile_fail_cases)
  sessions_add_compile_fail_test("${_case}" TARGET sessions)
endforeach()
