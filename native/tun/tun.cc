// pqvpn_tun: the native part of pqvpn's Linux TUN backend (see docs/TUN.md).
//
// Only what JavaScript cannot do well stays here: open /dev/net/tun and
// attach it to an interface (TUNSETIFF, IFF_TUN | IFF_NO_PI), set the MTU
// (SIOCSIFMTU), wait for readiness on the libuv loop (uv_poll), drain the
// descriptor with non-blocking reads into a caller-provided slot buffer and
// deliver the whole batch in one JavaScript call, write one packet with a
// direct write(2), and close. Addresses, link state, validation and the
// packet views are TypeScript (src/tun/linux-tun.ts).
//
// JavaScript surface (typed in src/tun/addon.ts):
//   open(name, mtu, blocking?) -> TunHandle   throws Error{errno, syscall}
//   handle.fd, handle.name
//   handle.start(buffer: Uint8Array, lengths: Int32Array, slotSize, onBatch(count, errno))
//   handle.write(packet: Uint8Array) -> bytes written, or -errno
//   handle.oversizeDrops() -> packets dropped because they exceeded slotSize
//   handle.close()                      idempotent
//
// Lifetimes: while reading, the handle holds a strong reference to itself so
// it cannot be garbage collected with a live poll; close() drops it. Every
// open handle registers an environment cleanup hook, so process or worker
// exit closes the poll handle and descriptor before the loop goes away. The
// slot buffer is re-validated (not detached, large enough) on every
// readiness event, so JavaScript cannot make us write into freed memory.

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <memory>
#include <string>

#include <napi.h>

namespace {

// A read larger than the slot spills into this scratch area; such a packet
// is counted and dropped instead of being delivered truncated. 64 KiB covers
// the largest packet a TUN device without GSO can hand us.
constexpr size_t kOverflowBytes = 65536;

Napi::Error ErrnoError(Napi::Env env, const char* syscall, int err) {
  Napi::Error e = Napi::Error::New(env, std::string(syscall) + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

class TunHandle : public Napi::ObjectWrap<TunHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TunHandle",
                       {
                           InstanceAccessor<&TunHandle::GetFd>("fd"),
                           InstanceAccessor<&TunHandle::GetName>("name"),
                           InstanceMethod<&TunHandle::Start>("start"),
                           InstanceMethod<&TunHandle::Write>("write"),
                           InstanceMethod<&TunHandle::OversizeDrops>("oversizeDrops"),
                           InstanceMethod<&TunHandle::Close>("close"),
                       });
  }

  // Called only by open() through the constructor stored in instance data,
  // with (fd, name); JavaScript never sees the constructor.
  explicit TunHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TunHandle>(info) {
    fd_ = info[0].As<Napi::Number>().Int32Value();
    name_ = info[1].As<Napi::String>().Utf8Value();
    env_ = info.Env();
    napi_add_env_cleanup_hook(env_, &TunHandle::CleanupHook, this);
    hook_ = true;
  }

  // Runs when the object is collected, which cannot happen while polling
  // (Start() holds a reference), or at environment teardown after the
  // cleanup hook already shut down.
  ~TunHandle() override { Shutdown(false); }

 private:
  static void CleanupHook(void* arg) {
    auto* self = static_cast<TunHandle*>(arg);
    self->hook_ = false;  // Node removes a hook once it has run.
    self->Shutdown(false);
  }

  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }
  Napi::Value GetName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), name_); }
  Napi::Value OversizeDrops(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(oversize_drops_));
  }

  // start(buffer, lengths, slotSize, onBatch): begin polling. Once only.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return Throw(Napi::Error::New(env, "TUN handle is closed"));
    if (poll_ != nullptr) return Throw(Napi::Error::New(env, "TUN handle is already reading"));
    if ((fcntl(fd_, F_GETFL) & O_NONBLOCK) == 0) {
      return Throw(Napi::Error::New(env, "TUN handle is blocking: read it with fs.read, not start()"));
    }
    if (info.Length() < 4 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber() ||
        !info[3].IsFunction()) {
      return Throw(Napi::TypeError::New(env, "start(buffer: Uint8Array, lengths: Int32Array, slotSize, onBatch)"));
    }
    Napi::TypedArray buf = info[0].As<Napi::TypedArray>();
    Napi::TypedArray lens = info[1].As<Napi::TypedArray>();
    if (buf.TypedArrayType() != napi_uint8_array || lens.TypedArrayType() != napi_int32_array) {
      return Throw(Napi::TypeError::New(env, "start: buffer must be a Uint8Array and lengths an Int32Array"));
    }
    const uint32_t slot = info[2].As<Napi::Number>().Uint32Value();
    const size_t slots = lens.ElementLength();
    if (slot == 0 || slots == 0 || buf.ByteLength() < slots * slot) {
      return Throw(Napi::RangeError::New(env, "start: buffer smaller than lengths.length * slotSize"));
    }
    buf_ = Napi::Persistent(buf.As<Napi::Uint8Array>());
    lens_ = Napi::Persistent(lens.As<Napi::Int32Array>());
    on_batch_ = Napi::Persistent(info[3].As<Napi::Function>());
    slot_size_ = slot;
    slots_ = slots;
    overflow_.reset(new uint8_t[kOverflowBytes]);
    context_.reset(new Napi::AsyncContext(env, "pqvpn:tun"));

    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    auto* poll = new uv_poll_t;
    int rc = uv_poll_init(loop, poll, fd_);
    if (rc == 0) {
      poll->data = this;
      rc = uv_poll_start(poll, UV_READABLE, &TunHandle::OnReadable);
      if (rc != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(poll), &TunHandle::FreePoll);
      }
    } else {
      delete poll;
    }
    if (rc != 0) {
      ReleaseReader();
      return Throw(ErrnoError(env, "uv_poll_start", -rc));
    }
    poll_ = poll;
    Ref();  // a polling handle must outlive any JavaScript reference to it
    return env.Undefined();
  }

  static void OnReadable(uv_poll_t* poll, int status, int /*events*/) {
    auto* self = static_cast<TunHandle*>(poll->data);
    if (self != nullptr) self->Drain(status);
  }

  // Reads up to slots_ packets without blocking, then delivers them in one
  // call. Level-triggered: packets left in the queue wake us again on the
  // next loop iteration, after other I/O has had its turn.
  void Drain(int status) {
    Napi::Env env(env_);
    Napi::HandleScope scope(env);
    size_t n = 0;
    int err = status < 0 ? -status : 0;
    uint8_t* data = nullptr;
    int32_t* lens = nullptr;
    if (err == 0) {
      Napi::Uint8Array buf = buf_.Value();
      Napi::Int32Array lensArray = lens_.Value();
      if (buf.ArrayBuffer().IsDetached() || lensArray.ArrayBuffer().IsDetached() ||
          buf.ByteLength() < slots_ * slot_size_ || lensArray.ElementLength() < slots_) {
        err = EFAULT;  // JavaScript detached or shrank our buffers: stop rather than write anywhere
      } else {
        data = buf.Data();
        lens = lensArray.Data();
      }
    }
    while (err == 0 && n < slots_) {
      struct iovec iov[2] = {{data + n * slot_size_, slot_size_}, {overflow_.get(), kOverflowBytes}};
      const ssize_t got = readv(fd_, iov, 2);
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
        break;
      }
      if (got == 0) break;
      if (static_cast<size_t>(got) > slot_size_) {
        oversize_drops_++;
        continue;
      }
      lens[n++] = static_cast<int32_t>(got);
    }
    if (n == 0 && err == 0) return;
    if (err != 0) StopPoll(true);  // a broken descriptor stays readable: do not spin on it

    Ref();  // the callback may close() and drop the last reference; keep `this` alive until we return
    Napi::Value recv = Value();
    napi_value result = nullptr;
    napi_value args[2] = {Napi::Number::New(env, static_cast<double>(n)), Napi::Number::New(env, err)};
    napi_status st = napi_make_callback(env, *context_, recv, on_batch_.Value(), 2, args, &result);
    if (st != napi_ok && env.IsExceptionPending()) {
      // A throwing handler behaves like a throwing event listener: 'uncaughtException'.
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
    Unref();
  }

  // write(packet) -> bytes written, or -errno (EAGAIN: kernel queue full).
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) return Napi::Number::New(env, -EBADF);
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      return Throw(Napi::TypeError::New(env, "write(packet: Uint8Array)"));
    }
    Napi::Uint8Array packet = info[0].As<Napi::Uint8Array>();
    ssize_t w;
    do {
      w = write(fd_, packet.Data(), packet.ByteLength());
    } while (w < 0 && errno == EINTR);
    return Napi::Number::New(env, w < 0 ? -errno : static_cast<double>(w));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown(true);
    return info.Env().Undefined();
  }

  // Stops polling and closes the descriptor. Idempotent; safe from the
  // destructor, the cleanup hook, and inside the batch callback. `unref`
  // is false where the object's own reference must not be touched
  // (finalizer, environment teardown).
  void Shutdown(bool unref) {
    StopPoll(unref);
    ReleaseReader();
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    if (hook_) {
      napi_remove_env_cleanup_hook(env_, &TunHandle::CleanupHook, this);
      hook_ = false;
    }
  }

  void StopPoll(bool unref) {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), &TunHandle::FreePoll);
    poll_ = nullptr;
    if (unref) Unref();  // balances the Ref() in Start()
  }

  void ReleaseReader() {
    on_batch_.Reset();
    buf_.Reset();
    lens_.Reset();
    context_.reset();
  }

  static void FreePoll(uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); }

  Napi::Value Throw(const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
    return e.Env().Undefined();
  }

  int fd_ = -1;
  std::string name_;
  napi_env env_ = nullptr;
  bool hook_ = false;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference on_batch_;
  Napi::Reference<Napi::Uint8Array> buf_;
  Napi::Reference<Napi::Int32Array> lens_;
  std::unique_ptr<Napi::AsyncContext> context_;
  std::unique_ptr<uint8_t[]> overflow_;
  size_t slot_size_ = 0;
  size_t slots_ = 0;
  uint64_t oversize_drops_ = 0;
};

struct AddonData {
  Napi::FunctionReference handle_constructor;
};

// open(name, mtu, blocking = false) -> TunHandle. The name may be a pattern
// such as "tun%d"; handle.name is what the kernel chose. Validation of name
// and MTU is the caller's job (src/tun/linux-tun.ts); the kernel re-checks
// both. `blocking` exists only for the fs.read baseline of
// scripts/bench-tun.mjs: start() refuses a blocking handle, whose drain loop
// would block the event loop.
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber() ||
      (info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsBoolean())) {
    Napi::TypeError::New(env, "open(name: string, mtu: number, blocking?: boolean)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  const int mtu = info[1].As<Napi::Number>().Int32Value();
  const bool blocking = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('\0') != std::string::npos) {
    Napi::RangeError::New(env, "open: interface name must be 1-15 bytes").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  const int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (blocking ? 0 : O_NONBLOCK));
  if (fd < 0) {
    ErrnoError(env, "open /dev/net/tun", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    const int e = errno;
    close(fd);
    ErrnoError(env, "TUNSETIFF", e).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  ifr.ifr_name[IFNAMSIZ - 1] = '\0';
  const std::string actual(ifr.ifr_name);

  // The MTU goes on before the link is up, so no packet ever sees the default.
  const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int e = sock < 0 ? errno : 0;
  if (sock >= 0) {
    struct ifreq mreq;
    memset(&mreq, 0, sizeof mreq);
    memcpy(mreq.ifr_name, actual.data(), actual.size());
    mreq.ifr_mtu = mtu;
    if (ioctl(sock, SIOCSIFMTU, &mreq) < 0) e = errno;
    close(sock);
  }
  if (e != 0) {
    close(fd);  // a non-persistent device disappears with its descriptor
    ErrnoError(env, "SIOCSIFMTU", e).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  auto* data = env.GetInstanceData<AddonData>();
  return data->handle_constructor.New({Napi::Number::New(env, fd), Napi::String::New(env, actual)});
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->handle_constructor = Napi::Persistent(TunHandle::Define(env));
  env.SetInstanceData(data);
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  return exports;
}

}  // namespace

NODE_API_MODULE(pqvpn_tun, Init)
