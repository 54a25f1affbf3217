#pragma once
// The cookie codec in one include: reading a request's Cookie header, HTTP dates, and writing
// Set-Cookie values the way Django does.

#include "http_date.hpp"
#include "parse.hpp"
#include "set_cookie.hpp"
