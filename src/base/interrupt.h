/*
 * interrupt: Ctrl-C (SIGINT) and SIGTERM during a build.  The handler only
 * records the signal and writes a byte to a self-pipe, so the scheduler can
 * check a flag and a child loop can poll() a file descriptor; whoever is
 * working stops, cleans up, and the command exits 128 + the signal.
 *
 * This file owns the only global state of mvbuild: what a signal handler
 * must reach.
 */
#ifndef MVBUILD_INTERRUPT_H
#define MVBUILD_INTERRUPT_H

#include <stdbool.h>

#include "base/error.h"

/*
 * Catch SIGINT and SIGTERM until interrupt_release (SIGINT stays ignored
 * when it was ignored on entry, as for a background job of a script).
 * Forgets an earlier interrupt.  0, or -1 with err.
 */
int interrupt_catch(struct error *err);
/* restore the dispositions interrupt_catch replaced; what was caught stays known */
void interrupt_release(void);
/* true once SIGINT or SIGTERM was caught */
bool interrupt_pending(void);
/* the signal caught (SIGINT, SIGTERM), or 0 */
int interrupt_signal(void);
/* a descriptor that becomes readable (and stays so) once a signal is caught, or -1 */
int interrupt_fd(void);
/* set an ERROR_INTERRUPTED error "interrupted"; returns -1 */
int interrupt_error(struct error *err);
/* the exit status for a command stopped by the caught signal (130 for SIGINT) */
int interrupt_exit_status(void);

#endif
