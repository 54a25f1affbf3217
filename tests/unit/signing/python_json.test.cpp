#include <sessions/signing/python_json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "support/catch.hpp"

using sessions::Data;
using sessions::DecodeError;
using sessions::EncodeError;
using sessions::signing::dump_python_json;
using sessions::signing::is_python_big_int;
using sessions::signing::make_python_int;
using sessions::signing::NonAsciiInput;
using sessions::signing::parse_python_json;
using sessions::signing::python_int_text;
using sessions::signing::PythonJsonReadOptions;

namespace {
// Reading then writing must give Python's json.dumps(json.loads(text), separators=(',', ':')).
std::string roundtrip(const std::string& text) { return dump_python_json(parse_python_json(text)); }
}  // namespace

// Expected strings below were produced by Python 3.11's json.dumps(..., separators=(',', ':')).
TEST_CASE("python_json: compact output in insertion order", "[signing][python_json]") {
  CHECK(dump_python_json(Data::object()) == "{}");
  CHECK(dump_python_json(Data::array()) == "[]");
  Data d = Data::object();
  d["z"] = 1;
  d["a"] = Data::array({true, false, nullptr});
  d["m"] = Data::object();
  d["m"]["b"] = "x";
  CHECK(dump_python_json(d) == R"({"z":1,"a":[true,false,null],"m":{"b":"x"}})");
  CHECK(dump_python_json(Data(-7)) == "-7");
  CHECK(dump_python_json(Data(std::numeric_limits<std::uint64_t>::max())) == "18446744073709551615");
  CHECK(dump_python_json(Data(std::numeric_limits<std::int64_t>::min())) == "-9223372036854775808");
}

TEST_CASE("python_json: strings are escaped as with ensure_ascii", "[signing][python_json]") {
  const std::string s = "\xc3\xa9\xf0\x9f\x98\x80\n\r\t\b\f\"\\/<>&'" + std::string(1, '\0') +
                        "\x1f\x7f\xc2\x80\xe2\x80\xa8\xef\xbf\xbf\xf4\x8f\xbf\xbf";
  CHECK(dump_python_json(Data(s)) ==
        R"("\u00e9\ud83d\ude00\n\r\t\b\f\"\\/<>&'\u0000\u001f\u007f\u0080\u2028\uffff\udbff\udfff")");
  Data keyed = Data::object();
  keyed["\xc3\xa9"] = 1;
  CHECK(dump_python_json(keyed) == R"({"\u00e9":1})");
}

TEST_CASE("python_json: invalid UTF-8 and non-JSON values cannot be written", "[signing][python_json]") {
  for (const char* bad : {"\xff", "\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "a\xe2\x82"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(dump_python_json(Data(std::string(bad))), EncodeError);
  }
  CHECK_THROWS_AS(dump_python_json(Data::binary({1, 2, 3})), EncodeError);
  CHECK_THROWS_AS(dump_python_json(Data::binary({'1', 'x'}, sessions::signing::python_int_subtype)), EncodeError);
  CHECK_THROWS_AS(dump_python_json(Data(Data::value_t::discarded)), EncodeError);
}

TEST_CASE("python_json: floats as Python's repr", "[signing][python_json]") {
  const Data floats =
      Data::array({1.0, -0.0, 0.0, 1e16, 1e15, 9999999999999998.0, 1e-05, 0.0001, 2.5e-07, 1e22, 5e-324,
                   1.7976931348623157e308, 0.1, 123.456, -1.5, 1e-4 * 0.9999999, 100.0, 1.5e300, 12345678.9});
  CHECK(dump_python_json(floats) ==
        "[1.0,-0.0,0.0,1e+16,1000000000000000.0,9999999999999998.0,1e-05,0.0001,2.5e-07,1e+22,5e-324,"
        "1.7976931348623157e+308,0.1,123.456,-1.5,9.999999e-05,100.0,1.5e+300,12345678.9]");
  CHECK(dump_python_json(Data(std::numeric_limits<double>::quiet_NaN())) == "NaN");
  CHECK(dump_python_json(Data(-std::numeric_limits<double>::quiet_NaN())) == "NaN");
  CHECK(dump_python_json(Data(std::numeric_limits<double>::infinity())) == "Infinity");
  CHECK(dump_python_json(Data(-std::numeric_limits<double>::infinity())) == "-Infinity");
}

TEST_CASE("python_json: integers beyond 64 bits round-trip exactly", "[signing][python_json]") {
  CHECK(roundtrip("18446744073709551617") == "18446744073709551617");
  CHECK(roundtrip("-9223372036854775809") == "-9223372036854775809");
  CHECK(roundtrip("1234567890123456789012345678901234567890") == "1234567890123456789012345678901234567890");
  CHECK(roundtrip("[18446744073709551615,18446744073709551616,-9223372036854775808]") ==
        "[18446744073709551615,18446744073709551616,-9223372036854775808]");
  const Data big = parse_python_json("18446744073709551617");
  CHECK(is_python_big_int(big));
  CHECK(python_int_text(big) == "18446744073709551617");
  CHECK(parse_python_json("18446744073709551615").is_number_unsigned());
  CHECK(parse_python_json("-9223372036854775808").is_number_integer());
  CHECK(make_python_int("18446744073709551617") == big);
  CHECK(make_python_int("42") == Data(42));
  CHECK(python_int_text(Data(-3)) == "-3");
  CHECK_FALSE(python_int_text(Data(1.5)).has_value());
  CHECK_THROWS_AS(make_python_int("01"), sessions::ValueTypeError);
  CHECK_THROWS_AS(make_python_int("-0"), sessions::ValueTypeError);
  CHECK_THROWS_AS(make_python_int("1e5"), sessions::ValueTypeError);
  CHECK(roundtrip(std::string(4300, '9')) == std::string(4300, '9'));
  CHECK_THROWS_AS(parse_python_json(std::string(4301, '9')), DecodeError);
}

TEST_CASE("python_json: reading what Python's json.loads accepts", "[signing][python_json]") {
  CHECK(roundtrip(R"( { "b" : 1 , "a" : [ 1 , 2 ] , "b" : 3 } )") == R"({"b":3,"a":[1,2]})");
  CHECK(roundtrip("\t\r\n[NaN,Infinity,-Infinity]\n") == "[NaN,Infinity,-Infinity]");
  CHECK(roundtrip(R"("\u00E9\uD83D\uDE00\/\b")") == R"("\u00e9\ud83d\ude00/\b")");
  CHECK(roundtrip("-0") == "0");
  CHECK(roundtrip("-0.0") == "-0.0");
  CHECK(roundtrip("1E5") == "100000.0");
  CHECK(roundtrip("1e+5") == "100000.0");
  CHECK(roundtrip("0.1e1") == "1.0");
  CHECK(roundtrip("1e400") == "Infinity");
  CHECK(roundtrip("-1e400") == "-Infinity");
  CHECK(roundtrip("1e-400") == "0.0");
  CHECK(roundtrip("-1e-400") == "-0.0");
  CHECK(roundtrip("2e-324") == "0.0");
  CHECK(roundtrip("3e-324") == "5e-324");
  CHECK(roundtrip("1" + std::string(400, '0') + ".0") == "Infinity");
  CHECK(roundtrip("0." + std::string(400, '0') + "1") == "0.0");
  // Exactly halfway between two doubles: ties to even, as Python's float() does.
  CHECK(roundtrip("1.00000000000000011102230246251565404236316680908203125") == "1.0");
  CHECK(roundtrip("1.00000000000000011102230246251565404236316680908203126") == "1.0000000000000002");
  CHECK(roundtrip("1.00000000000000011102230246251565404236316680908203124") == "1.0");
  CHECK(roundtrip("\"a\x7f\"") == R"("a\u007f")");
  CHECK(roundtrip("\"\"") == "\"\"");
  CHECK(roundtrip("true") == "true");
}

TEST_CASE("python_json: what json.loads rejects is DecodeError", "[signing][python_json]") {
  for (const char* bad : {"",
                          " ",
                          "[1,]",
                          "{'a':1}",
                          "01",
                          "1.",
                          ".5",
                          "-",
                          "+1",
                          "1e",
                          "1e+",
                          "[1 2]",
                          "{\"a\" 1}",
                          "{\"a\":1,}",
                          "{1:2}",
                          "nul",
                          "NAN",
                          "-NaN",
                          "infinity",
                          "[",
                          "]",
                          "{",
                          "\"abc",
                          "\"\\x\"",
                          "\"\\u12\"",
                          "\"\\u12g4\"",
                          "\"\t\"",
                          "\"\n\"",
                          "[] []",
                          "\xef\xbb\xbf{}",
                          "\x0b1",
                          "1 x",
                          "\"\\ud800\"",
                          "\"\\udc00\"",
                          "\"\\ud800\\u0041\"",
                          "\"\\ud800x\""}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_python_json(bad), DecodeError);
  }
}

TEST_CASE("python_json: non-ASCII input bytes follow the chosen policy", "[signing][python_json]") {
  const std::string utf8 = "{\"a\":\"\xc3\xa9\"}";
  CHECK_THROWS_AS(parse_python_json(utf8), DecodeError);
  PythonJsonReadOptions latin1;
  latin1.non_ascii = NonAsciiInput::latin1;
  // Django's reading: each byte is one latin-1 character, "é" becomes "Ã©".
  CHECK(parse_python_json(utf8, latin1)["a"] == "\xc3\x83\xc2\xa9");
  CHECK(dump_python_json(parse_python_json(utf8, latin1)) == R"({"a":"\u00c3\u00a9"})");
  PythonJsonReadOptions as_utf8;
  as_utf8.non_ascii = NonAsciiInput::utf8;
  CHECK(parse_python_json(utf8, as_utf8)["a"] == "\xc3\xa9");
  CHECK_THROWS_AS(parse_python_json("\"\xc3\"", as_utf8), DecodeError);
  CHECK_THROWS_AS(parse_python_json("\"\xed\xa0\x80\"", as_utf8), DecodeError);
  CHECK_THROWS_AS(parse_python_json("[1,\xc2\xa0 2]", latin1), DecodeError);  // not whitespace to Python
}

TEST_CASE("python_json: nesting is bounded on both sides", "[signing][python_json]") {
  const auto nested = [](std::size_t n) { return std::string(n, '[') + std::string(n, ']'); };
  CHECK(roundtrip(nested(512)) == nested(512));
  CHECK_THROWS_AS(parse_python_json(nested(513)), DecodeError);
  CHECK_THROWS_AS(parse_python_json(nested(100000)), DecodeError);
  PythonJsonReadOptions shallow;
  shallow.max_depth = 2;
  CHECK_NOTHROW(parse_python_json("[{}]", shallow));
  CHECK_THROWS_AS(parse_python_json("[{\"a\":[]}]", shallow), DecodeError);
  Data deep = Data::array();
  Data* cursor = &deep;
  for (int i = 0; i < 600; ++i) {
    cursor->push_back(Data::array());
    cursor = &cursor->back();
  }
  CHECK_THROWS_AS(dump_python_json(deep), EncodeError);
  CHECK(dump_python_json(deep, 1000).size() == 2 * 601);
}
