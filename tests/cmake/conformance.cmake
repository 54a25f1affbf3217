# The middleware conformance test: Django's own SessionMiddleware (python3-django) and our
# Middleware (tests/conformance/middleware_driver.cpp) given the same requests, response headers
# compared (tests/conformance/test_django_middleware.py). Labelled interop: it runs once, in the
# gcc stage. Django missing is a failure, not a skip.
include("${CMAKE_CURRENT_LIST_DIR}/../support/python_tests.cmake")

# A stage that does not run the interop tests (tsan) need not compile the driver either.
sessions_test_label_skipped(interop _sessions_conformance_skipped)
if(_sessions_conformance_skipped)
  return()
endif()

add_executable(sessions_middleware_driver "${CMAKE_CURRENT_LIST_DIR}/../conformance/middleware_driver.cpp")
target_link_libraries(sessions_middleware_driver PRIVATE sessions::sessions sessions_project_options)
sessions_test_pch(sessions_middleware_driver)  # the tests' precompiled header (tests/CMakeLists.txt)

sessions_find_test_python(_sessions_conformance_python "${SESSIONS_INTEROP_PYTHON}" "django"
  "the middleware conformance test" "Install python3-django or set SESSIONS_INTEROP_PYTHON.")
if(_sessions_conformance_python)
  add_test(NAME conformance_django_middleware
    COMMAND "${_sessions_conformance_python}" "${CMAKE_CURRENT_LIST_DIR}/../conformance/test_django_middleware.py"
            $<TARGET_FILE:sessions_middleware_driver>)
else()
  add_test(NAME conformance_django_middleware COMMAND "${CMAKE_COMMAND}" -E false)  # never pass silently
endif()
set_tests_properties(conformance_django_middleware PROPERTIES LABELS "interop" TIMEOUT 300)
