/*
 * launch_firecracker: Firecracker's --config-file JSON for a profile, a
 * pure function of its launch_spec.
 *
 * firecracker.json (output of the launch builder) is the configuration
 * Firecracker reads with `--no-api --config-file`, except that
 * "kernel_image_path", the drives' "path_on_host" and "initrd_path" are
 * the strings "${kernel}", "${image}", "${diskN}" (extra disks, after the
 * root) and "${initrd}"; `run` writes a copy with the real paths.  With no
 * image there is no root drive (so no root=) and the initramfs is the root.
 * The kernel is always the uncompressed vmlinux (released Firecracker does
 * not boot bzImage).  boot_args is always set, because Firecracker's
 * default command line turns the serial console off; Firecracker adds
 * root=/dev/vda itself for the root drive (with ro when it is read-only,
 * as a squashfs root is).
 */
#include "launch/launch.h"

#include <stdlib.h>

#include "base/json.h"

char *launch_fc_cmdline(const struct launch_spec *spec)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "console=ttyS0 reboot=k panic=1 pci=off");
	/* Firecracker adds root=/dev/vda (and ro for a read-only drive) itself */
	if (spec->has_image && spec->root_squashfs)
		buf_adds(&b, " rootfstype=squashfs");
	if (spec->init)
		buf_addf(&b, " %s=%s", launch_init_param(spec), spec->init);
	if (spec->cmdline && *spec->cmdline)
		buf_addf(&b, " %s", spec->cmdline);
	return buf_detach(&b);
}

static void fc_nics(const struct launch_spec *spec, struct buf *out)
{
	buf_adds(out, "  \"network-interfaces\": [");
	/* user-mode interfaces never get here: launch_spec_check refuses them for Firecracker */
	for (size_t i = 0; i < spec->n_nics; i++) {
		buf_addf(out, "%s\n    { \"iface_id\": \"eth%zu\", \"host_dev_name\": ", i ? "," : "",
			 i);
		json_add_string(out, spec->nics[i].tap);
		buf_adds(out, ", \"guest_mac\": ");
		json_add_string(out, spec->nics[i].mac);
		buf_adds(out, " }");
	}
	buf_adds(out, spec->n_nics ? "\n  ]\n" : "]\n");
}

void launch_fc_json(const struct launch_spec *spec, struct buf *out)
{
	char *args = launch_fc_cmdline(spec);
	buf_adds(out, "{\n  \"boot-source\": {\n    \"kernel_image_path\": ");
	json_add_string(out, LAUNCH_KERNEL);
	if (spec->has_initrd) {
		buf_adds(out, ",\n    \"initrd_path\": ");
		json_add_string(out, LAUNCH_INITRD);
	}
	buf_adds(out, ",\n    \"boot_args\": ");
	json_add_string(out, args);
	buf_adds(out, "\n  },\n  \"drives\": [");
	const char *sep = "\n";
	if (spec->has_image) {
		buf_adds(out, "\n    { \"drive_id\": \"rootfs\", \"path_on_host\": ");
		json_add_string(out, LAUNCH_IMAGE);
		buf_addf(out, ", \"is_root_device\": true, \"is_read_only\": %s }",
			 spec->root_squashfs ? "true" : "false");
		sep = ",\n";
	}
	for (size_t i = 0; i < spec->n_disks; i++) {
		char *ph = xasprintf(LAUNCH_DISK_FMT, i);
		buf_addf(out, "%s    { \"drive_id\": \"disk%zu\", \"path_on_host\": ", sep, i);
		json_add_string(out, ph);
		buf_addf(out, ", \"is_root_device\": false, \"is_read_only\": %s }",
			 spec->disks[i].readonly ? "true" : "false");
		free(ph);
		sep = ",\n";
	}
	buf_adds(out, spec->has_image || spec->n_disks ? "\n  ],\n" : "],\n");
	buf_addf(out, "  \"machine-config\": { \"vcpu_count\": %u, \"mem_size_mib\": %u, "
		 "\"smt\": false },\n", spec->cpus, spec->mem);
	fc_nics(spec, out);
	buf_adds(out, "}\n");
	free(args);
}
