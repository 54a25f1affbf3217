#pragma once
// Everything in messages/: Django's messages framework (django.contrib.messages) over a shared
// session and Django's signed `messages` cookie.

#include "cookie_storage.hpp"
#include "fallback_storage.hpp"
#include "message.hpp"
#include "session_storage.hpp"
#include "storage.hpp"
