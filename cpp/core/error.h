// Errors: every failure thrown from C++ carries the file and line where it was detected.
// The bindings map these types to Python's ValueError, TypeError, IndexError and RuntimeError.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nc {

struct ValueError : std::runtime_error { using std::runtime_error::runtime_error; };
struct TypeError : std::runtime_error { using std::runtime_error::runtime_error; };
struct IndexError : std::runtime_error { using std::runtime_error::runtime_error; };
struct RuntimeError : std::runtime_error { using std::runtime_error::runtime_error; };

namespace detail {
inline std::ostream& operator<<(std::ostream& os, const std::vector<int64_t>& v) {
  os << '(';
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  return os << (v.size() == 1 ? ",)" : ")");
}
template <class Exc, class... Args>
[[noreturn]] void fail(const char* file, int line, const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  const char* base = file;
  for (const char* p = file; *p; ++p)
    if (*p == '/' || *p == '\\') base = p + 1;
  os << " [" << base << ':' << line << ']';
  throw Exc(os.str());
}
}  // namespace detail

// NC_CHECK(cond, ValueError, "message parts ", x, ...) throws Exc with the message and file:line.
#define NC_CHECK(cond, Exc, ...)                                      \
  do {                                                                \
    if (!(cond)) ::nc::detail::fail<::nc::Exc>(__FILE__, __LINE__, __VA_ARGS__); \
  } while (0)
#define NC_FAIL(Exc, ...) ::nc::detail::fail<::nc::Exc>(__FILE__, __LINE__, __VA_ARGS__)

using detail::operator<<;

}  // namespace nc
