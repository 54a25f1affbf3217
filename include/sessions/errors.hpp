#pragma once
// The typed errors of the library. Every failure a caller can meet is one of these, so a caller can
// catch `sessions::Error` for everything or a precise type for one case. Messages never contain a
// secret or a whole session key.

#include <stdexcept>
#include <string>

namespace sessions {

/// Base of every error the library throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The configuration cannot work (Django: ImproperlyConfigured), e.g. a missing session directory.
class ConfigurationError : public Error {
 public:
  using Error::Error;
};

/// Input that looks like an attack or tampering (Django: SuspiciousOperation).
class SuspiciousOperation : public Error {
 public:
  using Error::Error;
};

/// A session key from a client failed validation (Django: InvalidSessionKey).
class InvalidSessionKey : public SuspiciousOperation {
 public:
  using SuspiciousOperation::SuspiciousOperation;
};

/// Stored session data failed to decode or verify (Django: SuspiciousSession). The session layer
/// reports it through the logger and continues with an empty session; it is thrown only by
/// lower-level calls a caller makes directly.
class SuspiciousSession : public SuspiciousOperation {
 public:
  using SuspiciousOperation::SuspiciousOperation;
};

/// A store could not do what was asked (I/O error, server unreachable, disk full, ...).
class StorageError : public Error {
 public:
  using Error::Error;
};

/// A store gave up waiting within its deadline (Options::timeout): no free pooled connection, or
/// a lock held by someone else. Nothing was changed; the operation may be retried.
class StorageTimeout : public StorageError {
 public:
  using StorageError::StorageError;
};

/// An asynchronous operation that was abandoned before it ran: its BlockingPool was stopped (or
/// destroyed) with the operation still queued. A StorageError, so that a caller that answers
/// StorageError with 503 handles it the same way; nothing was written.
class OperationAborted : public StorageError {
 public:
  using StorageError::StorageError;
};

/// save(must_create=true) found a record under the key already (Django: CreateError).
class CreateError : public StorageError {
 public:
  using StorageError::StorageError;
};

/// save() of an existing session found its record gone, e.g. deleted by a concurrent logout
/// (Django: UpdateError). The record is never re-created.
class UpdateError : public StorageError {
 public:
  using StorageError::StorageError;
};

/// save() with Settings::lost_update = fail (or merge, after its retries) found that another
/// request saved the same session since this one loaded it; nothing was written. Not an
/// UpdateError: the session still exists, so the middleware does not turn it into
/// SessionInterrupted but lets it propagate to the application (answer 409 or retry the request).
class ConflictError : public StorageError {
 public:
  using StorageError::StorageError;
};

/// The middleware could not save because the session was deleted while the request ran
/// (Django: SessionInterrupted, answered with 400).
class SessionInterrupted : public Error {
 public:
  SessionInterrupted()
      : Error(
            "The request's session was deleted before the request completed. The user may have "
            "logged out in a concurrent request, for example.") {}
};

/// A session key that is not in the session (Django: KeyError from s[k], del s[k], pop(k)).
class KeyError : public Error {
 public:
  using Error::Error;
};

/// A stored value cannot be converted to the type the caller asked for.
class ValueTypeError : public Error {
 public:
  using Error::Error;
};

/// Bytes that a serializer cannot decode into session data.
class DecodeError : public Error {
 public:
  using Error::Error;
};

/// Session data that a serializer cannot encode (e.g. a value its format cannot hold).
class EncodeError : public Error {
 public:
  using Error::Error;
};

/// A cookie name, value or attribute that could split or inject a header, or that breaks a
/// cookie-prefix rule; never written.
class CookieError : public Error {
 public:
  using Error::Error;
};

/// A Set-Cookie line longer than browsers keep (4096 bytes for name, value and attributes).
class CookieTooLarge : public CookieError {
 public:
  using CookieError::CookieError;
};

/// libcrypto reported a failure (no entropy, allocation, ...).
class CryptoError : public Error {
 public:
  using Error::Error;
};

/// A signed value whose signature does not verify (Django: signing.BadSignature).
class BadSignature : public Error {
 public:
  using Error::Error;
};

/// A signed value older than the max_age asked for (Django: signing.SignatureExpired).
class SignatureExpired : public BadSignature {
 public:
  using BadSignature::BadSignature;
};

/// A configured limit (payload size, number of keys, header size) was exceeded.
class LimitExceeded : public Error {
 public:
  using Error::Error;
};

/// A save of a session whose user already holds Settings::max_sessions_per_user sessions, with
/// UserSessionLimit::AtLimit::refuse_new: the new session's record was deleted (a `rejected`
/// event, reason "session limit", was told). Answer it as a refused login.
class SessionLimitReached : public Error {
 public:
  using Error::Error;
};

}  // namespace sessions
