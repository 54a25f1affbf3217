#pragma once
// What the async headers need from Boost.Asio, set up once. Boost 1.74's Asio enables C++20
// coroutines (use_awaitable, co_spawn) for clang only through <experimental/coroutine>, which
// libstdc++ does not have: clang++ 14 with -std=c++20 implements the standard coroutines
// (__cpp_impl_coroutine) that <coroutine> serves, so the macros are defined here when both are
// there, before any Asio header reads them. (g++ gets them from Asio itself.) An application that
// includes Asio before this header decides for itself.
//
// Asio 1.18's awaitable.hpp uses std::exchange without including <utility>.

#include <utility>

#if defined(__clang__) && defined(__cpp_impl_coroutine) && __has_include(<coroutine>)
#if !defined(BOOST_ASIO_HAS_CO_AWAIT) && !defined(BOOST_ASIO_DISABLE_CO_AWAIT)
#define BOOST_ASIO_HAS_CO_AWAIT 1
#endif
#if !defined(BOOST_ASIO_HAS_STD_COROUTINE) && !defined(BOOST_ASIO_DISABLE_STD_COROUTINE)
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif
#endif

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/thread_pool.hpp>

namespace sessions::detail {
namespace asio = boost::asio;
}  // namespace sessions::detail
