// Devices and the per-device kernel table (PyTorch's DispatchStub, reduced to what we need).
#pragma once
#include <array>
#include "core/error.h"

namespace nc {

enum class DeviceType : uint8_t { CPU = 0, CUDA = 1 };
constexpr int kNumDeviceTypes = 2;
inline const char* device_name(DeviceType d) { return d == DeviceType::CPU ? "cpu" : "cuda"; }

// A kernel entry point with one slot per device type. The CPU file registers its function with
// NC_REGISTER_KERNEL; a CUDA build registers its own. Calling a missing slot raises a clear error.
template <class Fn>
struct Kernel {
  const char* name;
  std::array<Fn*, kNumDeviceTypes> impl{};
  template <class... Args>
  decltype(auto) operator()(DeviceType dev, Args&&... args) const {
    Fn* f = impl[static_cast<int>(dev)];
    if (!f) NC_FAIL(RuntimeError, name, ": no ", device_name(dev), " kernel in this build");
    return f(std::forward<Args>(args)...);
  }
};

#define NC_DECLARE_KERNEL(name, Fn) extern ::nc::Kernel<Fn> name
#define NC_DEFINE_KERNEL(name, Fn) ::nc::Kernel<Fn> name{#name, {}}
#define NC_REGISTER_KERNEL(name, dev, fn)                                  \
  static const bool name##_##dev##_registered = [] {                       \
    name.impl[static_cast<int>(::nc::DeviceType::dev)] = fn;               \
    return true;                                                           \
  }()

}  // namespace nc
