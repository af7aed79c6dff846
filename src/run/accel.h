/*
 * accel: whether /dev/kvm can run an ordinary guest here, and why not.
 * /dev/kvm can exist and answer KVM_GET_API_VERSION yet come from a nested
 * backend (kvm_pvm) that fails on ordinary guest kernels ("KVM internal
 * error", "emulation failure"); such a host is told apart by
 * /sys/module/kvm_pvm, or by a CPU without the vmx/svm flag.
 */
#ifndef MVBUILD_ACCEL_H
#define MVBUILD_ACCEL_H

#include <stdbool.h>

#include "launch/launch.h"

/* where the probe looks; the defaults are the real paths, tests point elsewhere */
struct accel_paths {
	const char *dev_kvm;      /* "/dev/kvm" */
	const char *sys_module;   /* "/sys/module" */
	const char *cpuinfo;      /* "/proc/cpuinfo" */
};

struct accel_probe {
	bool kvm_present;         /* /dev/kvm opens and answers: a hypervisor can start */
	bool kvm_usable;          /* KVM can also run an ordinary guest (not a nested backend) */
	char reason[256];         /* why (usable or not), for `env` and `run` */
};

/* the real paths */
extern const struct accel_paths accel_default_paths;

/* probe KVM at paths (NULL: the real ones); never fails, the reason says what was found */
void accel_probe(struct accel_probe *probe, const struct accel_paths *paths);
/* "kvm" or "tcg" */
const char *accel_name(enum accel a);
/* parse "kvm" / "tcg" into *out; -1 when s is neither */
int accel_parse(const char *s, enum accel *out);

#endif
