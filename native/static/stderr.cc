// Linked only into the prebuilt addons (binding.gyp, nftkit_sysroot set).
// Debian's libnftnl.a is compiled as PIE: it reads the C library's `stderr`
// through a PC-relative relocation, which a shared object cannot resolve
// against libc. scripts/prebuild.sh renames that reference in a copy of the
// archive to nftkit_stderr, defined here (hidden, so the relocation stays
// inside the addon) and set to the real stream when the addon is loaded.
#include <cstdio>

extern "C" __attribute__((visibility("hidden"))) FILE* nftkit_stderr = stderr;
