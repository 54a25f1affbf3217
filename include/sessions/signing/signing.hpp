#pragma once
// Everything in signing/: Django-compatible signing (django.core.signing) and signed cookies.

#include "base62.hpp"
#include "base64.hpp"
#include "compression.hpp"
#include "dumps.hpp"
#include "errors.hpp"
#include "python_json.hpp"
#include "signed_cookie.hpp"
#include "signer.hpp"
#include "verified_cache.hpp"
