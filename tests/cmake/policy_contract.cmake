# policy_contract (label `docs`): the requirements a policy must meet are stated once, as the
# "policy lacks: ..." static_asserts beside the concepts in include/sessions/concepts.hpp; the
# table of them in docs/writing-policies.md is generated from there (tools/policy_contract.py)
# and this test fails when the two differ. The compile-fail tests check that the compiler prints
# the messages.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME policy_contract COMMAND "${Python3_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/tools/policy_contract.py" --check)
else()
  add_test(NAME policy_contract COMMAND "${CMAKE_COMMAND}" -E false)  # no Python: fail, never pass silently
endif()
set_tests_properties(policy_contract PROPERTIES LABELS "docs")
