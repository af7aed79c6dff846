/*
 * kernel_proc: running the kernel's tools (make, gcc --version) as child
 * processes: output captured line by line into a log and a callback, or
 * the terminal handed over for menuconfig.
 */
#ifndef MVBUILD_KERNEL_PROC_H
#define MVBUILD_KERNEL_PROC_H

#include <stddef.h>

#include "base/error.h"

/* called for each line of the child's output (stdout and stderr), without the newline */
typedef void kproc_line_fn(void *arg, const char *line, size_t len);

/*
 * Run argv[0] (searched in PATH) with env_add ("NAME=value", NULL-ended,
 * may be NULL; a bare "NAME" removes NAME) applied to the environment, stdin from /dev/null, stdout and
 * stderr copied to log_fd (when >= 0) and fed to fn (when not NULL).
 * Sets *status to the exit code (128 + signal when killed).  Returns 0 when
 * the child ran, -1 with err when it could not be started, or when an
 * interrupt (interrupt.h) came first: then the child's process group is
 * sent SIGTERM, the child is reaped, and err is ERROR_INTERRUPTED.
 */
int kernel_proc_run(char *const argv[], char *const env_add[], int log_fd, kproc_line_fn *fn, void *arg,
	      int *status, struct error *err);
/* the same with the terminal inherited (menuconfig); returns 0 and *status, or -1 */
int kernel_proc_run_interactive(char *const argv[], char *const env_add[], int *status, struct error *err);

#endif
