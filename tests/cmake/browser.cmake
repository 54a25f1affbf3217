# End-to-end tests (tests/browser/): the visit counter site (examples/visit_counter) in headless
# Chromium through Selenium, and the same sessions shared with the Django twin site
# (examples/django_site) on the same SQLite file or as signed cookies.
#
#   browser_visit_counter        label browser              the C++ site in Chromium
#   browser_django_twin          labels browser;django_site the same checks against the Django
#                                                           site: the expectations are Django's own
#   django_site_shared_session   label django_site          one cookie jar, both sites (HTTP)
#   django_site_browser          labels browser;django_site one Chromium, both sites
#   django_site_login_browser    labels browser;django_site Django's login (auth_user) seen by the
#                                                           C++ site's --user-table, and back
#   browser_user_sessions        labels browser;django_site two browser profiles of one user:
#                                                           /sessions lists both, /logout-others
#                                                           logs the other one out
#
# Screenshots and the sites' request logs go to ${CMAKE_BINARY_DIR}/artifacts/browser/.
# Chromium, chromedriver, Selenium or Django missing is a FAILURE, not a skip (Debian: chromium
# chromium-driver python3-selenium python3-django). Registered when the visit_counter target
# exists (it needs SESSIONS_WITH_SQLITE).
#
# The interpreter: SESSIONS_BROWSER_PYTHON if set, else the first python3 (PATH, then /usr/bin)
# that imports both selenium and django; if none does, /usr/bin/python3 (or the first found), so
# that the tests run and fail with the scripts' explanation.
include_guard(GLOBAL)

include("${CMAKE_CURRENT_LIST_DIR}/../support/python_tests.cmake")

# One test: NAME, LABELS (a list), then the script and its arguments.
function(_sessions_add_browser_test python name labels)
  if(python)
    add_test(NAME ${name} COMMAND "${python}" ${ARGN})
  else()
    add_test(NAME ${name} COMMAND "${CMAKE_COMMAND}" -E false)
    message(WARNING "sessions: no python3 found; ${name} will fail")
  endif()
  # One Chromium at a time: under a parallel ctest on a small machine two browsers starting at
  # once double each other's page-load times for nothing.
  set(_lock "")
  if("browser" IN_LIST labels)
    set(_lock RESOURCE_LOCK sessions_chromium)
  endif()
  # COST, about each one's seconds in CI (10 to 20): ctest starts the costliest ready test first,
  # so these (the browser ones one after another) start early, not at the end of the run.
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 300 COST 20 ${_lock})
endfunction()

# Runs at the end of the top-level directory, when visit_counter exists.
function(_sessions_register_browser_tests browser_dir django_manage)
  if(NOT TARGET visit_counter)
    return()
  endif()
  sessions_find_test_python(_python "${SESSIONS_BROWSER_PYTHON}" "selenium;django" "the browser and django_site tests"
    "Install python3-selenium python3-django or set SESSIONS_BROWSER_PYTHON.")
  set(_artifacts "${CMAKE_BINARY_DIR}/artifacts/browser")
  set(_site $<TARGET_FILE:visit_counter>)
  set(_browser_test "${browser_dir}/test_visit_counter_browser.py")
  set(_shared_test "${browser_dir}/test_django_shared_session.py")
  set(_login_test "${browser_dir}/test_django_login_browser.py")
  set(_user_sessions_test "${browser_dir}/test_user_sessions_browser.py")
  _sessions_add_browser_test("${_python}" browser_visit_counter "browser"
    "${_browser_test}" --cpp ${_site} --artifacts "${_artifacts}")
  _sessions_add_browser_test("${_python}" browser_django_twin "browser;django_site"
    "${_browser_test}" --django "${django_manage}" --artifacts "${_artifacts}")
  _sessions_add_browser_test("${_python}" django_site_shared_session "django_site"
    "${_shared_test}" --cpp ${_site} --django "${django_manage}" --artifacts "${_artifacts}")
  _sessions_add_browser_test("${_python}" django_site_browser "browser;django_site"
    "${_shared_test}" --browser --cpp ${_site} --django "${django_manage}" --artifacts "${_artifacts}")
  _sessions_add_browser_test("${_python}" django_site_login_browser "browser;django_site"
    "${_login_test}" --cpp ${_site} --django "${django_manage}" --artifacts "${_artifacts}")
  _sessions_add_browser_test("${_python}" browser_user_sessions "browser;django_site"
    "${_user_sessions_test}" --cpp ${_site} --django "${django_manage}" --artifacts "${_artifacts}")
endfunction()

get_filename_component(_sessions_browser_dir "${CMAKE_CURRENT_LIST_DIR}/../browser" ABSOLUTE)
get_filename_component(_sessions_django_manage "${CMAKE_CURRENT_LIST_DIR}/../../examples/django_site/manage.py" ABSOLUTE)
sessions_call_at_end_of_project(_sessions_register_browser_tests "${_sessions_browser_dir}" "${_sessions_django_manage}")
