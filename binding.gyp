{
  "targets": [
    {
      "target_name": "nftkit",
      "sources": [
        "native/addon.cc",
        "native/core/netlink_socket.cc",
        "native/core/batch_builder.cc",
        "native/core/expr_schema.cc",
        "native/core/dump_reader.cc",
        "native/core/monitor.cc",
        "native/core/wire.cc",
        "native/glue/convert.cc",
        "native/glue/monitor.cc",
        "native/glue/workers.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["<!@(pkg-config --libs libnftnl libmnl)"],
      "cflags": ["<!@(pkg-config --cflags libnftnl libmnl)"]
    }
  ]
}
