/*
 * kernel_toolchain: the identity of the tools that shape a kernel's bytes
 * (the compiler, binutils' ld and make): the first line of their
 * `--version`, memoized so a no-op build spawns no process.
 *
 * Memo file (CACHE/memo/toolchain), one line per tool, rewritten through a
 * temp file and rename:
 *   NAME\tRESOLVED-PATH\tSIZE\tMTIME-NS\tINODE\tFIRST-VERSION-LINE
 * A line is trusted while the resolved binary keeps its size, mtime and
 * inode; an upgrade replaces the file, which changes at least the inode.
 */
#ifndef MVBUILD_KERNEL_TOOLCHAIN_H
#define MVBUILD_KERNEL_TOOLCHAIN_H

#include "base/error.h"

struct kernel_toolchain {
	char *compiler;   /* "gcc (Debian 12.2.0-14) 12.2.0" */
	char *binutils;   /* "GNU ld (GNU Binutils for Debian) 2.40" */
	char *make;       /* "GNU Make 4.3" */
};

/* identify gcc, ld and make from PATH using the memo at memo_path; 0, or -1 with err */
int kernel_toolchain_identify(const char *memo_path, struct kernel_toolchain *tc, struct error *err);
/* the real path of the program name found in PATH (as execvp would run it), or NULL; caller frees */
char *kernel_toolchain_find(const char *name);
/*
 * The plugin binutils' nm should load: gcc's own LTO plugin (`gcc
 * -print-file-name=liblto_plugin.so`), or NULL when gcc has none.  Without
 * --plugin, nm loads every plugin in bfd-plugins for each file it reads;
 * where clang is installed that includes LLVM's gold plugin and with it
 * libLLVM, about 0.1 s per run, and kbuild runs nm once per object
 * (check-local-export): a third of a ccache reader's CPU time.  gcc's
 * plugin alone reads every object gcc writes, so nm's output is the same.
 * Caller frees.
 */
char *kernel_toolchain_lto_plugin(void);
/* free the strings */
void kernel_toolchain_release(struct kernel_toolchain *tc);

#endif
