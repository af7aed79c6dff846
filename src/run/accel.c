/*
 * accel: the KVM usability probe.  The checks, in order: /dev/kvm opens
 * read-write (else: absent, or no permission); KVM_GET_API_VERSION answers
 * 12; the backend is not a nested one (no /sys/module/kvm_pvm, and the CPU
 * has vmx or svm).  The first failing check is the reason.
 */
#include "run/accel.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

const struct accel_paths accel_default_paths = { "/dev/kvm", "/sys/module", "/proc/cpuinfo" };

/* true when a "flags" line of cpuinfo has the vmx or svm flag */
static bool cpu_has_virt_flag(const char *cpuinfo)
{
	FILE *f = fopen(cpuinfo, "r");
	if (!f)
		return true; /* cannot tell: do not hold it against KVM */
	char line[8192];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (!str_startswith(line, "flags"))
			continue;
		found = strstr(line, " vmx") || strstr(line, " svm");
	}
	fclose(f);
	return found;
}

static bool nested_pvm(const char *sys_module)
{
	char *path = path_join(sys_module, "kvm_pvm");
	struct stat st;
	bool present = stat(path, &st) == 0;
	free(path);
	return present;
}

static void say(struct accel_probe *p, bool present, bool usable, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void say(struct accel_probe *p, bool present, bool usable, const char *fmt, ...)
{
	va_list ap;
	p->kvm_present = present;
	p->kvm_usable = usable;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
}

void accel_probe(struct accel_probe *probe, const struct accel_paths *paths)
{
	if (!paths)
		paths = &accel_default_paths;
	int fd = open(paths->dev_kvm, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			say(probe, false, false, "no %s (no KVM on this host)", paths->dev_kvm);
		else if (errno == EACCES || errno == EPERM)
			say(probe, false, false, "%s is not accessible (join the 'kvm' group)",
			    paths->dev_kvm);
		else
			say(probe, false, false, "cannot open %s", paths->dev_kvm);
		return;
	}
	int version = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (version != KVM_API_VERSION)
		say(probe, false, false, "%s does not answer KVM_GET_API_VERSION", paths->dev_kvm);
	else if (nested_pvm(paths->sys_module))
		say(probe, true, false, "%s present but nested kvm_pvm backend", paths->dev_kvm);
	else if (!cpu_has_virt_flag(paths->cpuinfo))
		say(probe, true, false, "%s present but the CPU has no vmx/svm flag (nested backend)",
		    paths->dev_kvm);
	else
		say(probe, true, true, "%s usable", paths->dev_kvm);
}

const char *accel_name(enum accel a)
{
	return a == ACCEL_KVM ? "kvm" : "tcg";
}

int accel_parse(const char *s, enum accel *out)
{
	if (strcmp(s, "kvm") == 0)
		*out = ACCEL_KVM;
	else if (strcmp(s, "tcg") == 0)
		*out = ACCEL_TCG;
	else
		return -1;
	return 0;
}
