# The one build definition. By default (npm install without a fitting prebuilt
# binary, npm rebuild nftkit --build-from-source, a checkout) it links the
# system's libnftnl and libmnl dynamically, found with pkg-config. The prebuilt
# binaries (scripts/prebuild.sh) set NFTKIT_SYSROOT to unpacked Debian -dev
# packages and NFTKIT_MULTIARCH to the triplet: libnftnl static, libmnl dynamic,
# libstdc++ static (libgcc_s dynamic), the static libraries' symbols not
# exported, unused sections dropped (scripts/prebuild.sh says why).
{
  "variables": {
    "nftkit_sysroot%": "<!(node -p \"process.env.NFTKIT_SYSROOT || ''\")",
    "nftkit_multiarch%": "<!(node -p \"process.env.NFTKIT_MULTIARCH || ''\")"
  },
  "targets": [
    {
      "target_name": "nftkit",
      "sources": [
        "native/addon.cc",
        "native/core/netlink_socket.cc",
        "native/core/interfaces.cc",
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
      "conditions": [
        ["nftkit_sysroot==''", {
          "libraries": ["<!@(pkg-config --libs libnftnl libmnl)"],
          "cflags": ["<!@(pkg-config --cflags libnftnl libmnl)"]
        }, {
          "sources": ["native/static/stderr.cc"],
          "include_dirs": ["<(nftkit_sysroot)/usr/include"],
          "libraries": [
            "<(nftkit_sysroot)/usr/lib/<(nftkit_multiarch)/libnftnl-pic.a",
            "-L<(nftkit_sysroot)/usr/lib/<(nftkit_multiarch)",
            "-lmnl"
          ],
          "ldflags": ["-static-libstdc++", "-Wl,--gc-sections", "-Wl,--exclude-libs,ALL", "-Wl,--as-needed"]
        }]
      ]
    }
  ]
}
