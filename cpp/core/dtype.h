// Element types and the one switch that turns a runtime dtype into a C++ type.
#pragma once
#include <cstddef>
#include <cstdint>
#include "core/error.h"

namespace nc {

enum class DType : uint8_t { Float32, Float64, Int64, Bool };

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::Bool: return 1;
  }
  return 0;
}
inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
  }
  return "?";
}
inline std::ostream& operator<<(std::ostream& os, DType d) { return os << dtype_name(d); }
inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }

template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };

// Type promotion between two tensors: bool < int64 < float32 < float64.
inline DType promote(DType a, DType b) {
  auto rank = [](DType d) {
    switch (d) {
      case DType::Bool: return 0;
      case DType::Int64: return 1;
      case DType::Float32: return 2;
      case DType::Float64: return 3;
    }
    return 0;
  };
  return rank(a) >= rank(b) ? a : b;
}

// dispatch(dtype, f): calls f(T{}) with T the C++ type of dtype.
template <class F>
decltype(auto) dispatch_all(DType d, F&& f) {
  switch (d) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    case DType::Int64: return f(int64_t{});
    case DType::Bool: return f(bool{});
  }
  NC_FAIL(TypeError, "unknown dtype");
}
// Floating-point only; other dtypes raise a TypeError naming the operation.
template <class F>
decltype(auto) dispatch_float(DType d, const char* op, F&& f) {
  switch (d) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    default: NC_FAIL(TypeError, op, ": expected a float32 or float64 tensor, got ", dtype_name(d));
  }
}
// Numeric (no bool).
template <class F>
decltype(auto) dispatch_numeric(DType d, const char* op, F&& f) {
  switch (d) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    case DType::Int64: return f(int64_t{});
    default: NC_FAIL(TypeError, op, ": expected a numeric tensor (float32, float64 or int64), got ", dtype_name(d));
  }
}

}  // namespace nc
