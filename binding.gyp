{
  # The Linux TUN addon (native/tun, docs/TUN.md). npm runs `node-gyp rebuild`
  # at install because this file exists and package.json has no install script.
  # Other platforms build an empty target, so `npm ci` still succeeds there.
  "targets": [
    {
      "target_name": "pqvpn_tun",
      "conditions": [
        ["OS=='linux'", {
          "sources": ["native/tun/tun.cc"],
          "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
          "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
          "cflags!": ["-fno-exceptions"],
          "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror"]
        }, {
          "type": "none"
        }]
      ]
    }
  ]
}
