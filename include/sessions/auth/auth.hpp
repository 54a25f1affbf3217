#pragma once
// Everything in auth/: Django's login state in a shared session (django.contrib.auth's session
// keys and rules), the session auth hash, Django's PBKDF2 password hashes and its user table.

#include "errors.hpp"
#include "login.hpp"
#include "password.hpp"
#include "session_auth_hash.hpp"
