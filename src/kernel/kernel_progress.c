/*
 * kernel_progress: the object count of a cold build and the status text
 * (see kernel_progress.h).
 */
#include "kernel/kernel_progress.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileutil.h"
#include "base/util.h"

#define OBJECTS_FILE "mvbuild-objects"
/* compiled in every configuration: its absence means nothing was compiled yet */
#define FIRST_OBJECT "init/main.o"
/* fewer objects than this give an ETA too noisy to show */
#define ETA_MIN_OBJECTS 20

bool kernel_progress_cold(const char *objdir)
{
	char *path = path_join(objdir, FIRST_OBJECT);
	bool cold = access(path, F_OK) != 0;
	free(path);
	return cold;
}

/* the count dir/OBJECTS_FILE records for base, or 0 */
static unsigned read_count(const char *dir, const char *base)
{
	char *path = path_join(dir, OBJECTS_FILE);
	struct buf text = BUF_INIT;
	struct error err = ERROR_INIT;
	unsigned count = 0, n;
	char recorded[64];
	if (read_file(path, 256, &text, &err) == 0 &&
	    sscanf(text.data, "%u %63s", &n, recorded) == 2 && strcmp(recorded, base) == 0)
		count = n;
	error_release(&err);
	buf_release(&text);
	free(path);
	return count;
}

unsigned kernel_progress_estimate(const char *objdir, const char *base)
{
	unsigned count = read_count(objdir, base);
	const char *slash = strrchr(objdir, '/'), *dash = strrchr(objdir, '-');
	if (count || !slash || !dash || dash < slash)
		return count;
	char *parent = xstrndup(objdir, (size_t)(slash - objdir));
	DIR *d = opendir(parent);
	struct dirent *de;
	while (d && !count && (de = readdir(d))) {
		size_t len = strlen(de->d_name), suffix = strlen(dash);
		if (len <= suffix || strcmp(de->d_name + len - suffix, dash) != 0 ||
		    strcmp(de->d_name, slash + 1) == 0)
			continue;
		char *sibling = path_join(parent, de->d_name);
		count = read_count(sibling, base);
		free(sibling);
	}
	if (d)
		closedir(d);
	free(parent);
	return count;
}

void kernel_progress_record(const char *objdir, const char *base, unsigned objects)
{
	char *path = path_join(objdir, OBJECTS_FILE);
	char *text = xasprintf("%u %s\n", objects, base);
	struct error err = ERROR_INIT;
	write_file_atomic(path, text, strlen(text), 0644, &err);
	error_release(&err); /* without it the next cold build shows no total: not a failure */
	free(text);
	free(path);
}

double kernel_progress_eta(unsigned done, unsigned total, bool incremental, double elapsed)
{
	if (incremental || !total || done < ETA_MIN_OBJECTS || done >= total || elapsed <= 0)
		return -1;
	return elapsed / done * (total - done);
}

void kernel_progress_format(char *buf, size_t size, unsigned done, unsigned total, bool incremental,
		      double elapsed)
{
	if (incremental || !total) {
		snprintf(buf, size, "%u objects %s, %.0f s", done,
			 incremental ? "recompiled" : "compiled", elapsed);
		return;
	}
	double eta = kernel_progress_eta(done, total, incremental, elapsed);
	if (eta < 0)
		snprintf(buf, size, "%u/~%u objects", done, total);
	else if (eta < 59.5)
		snprintf(buf, size, "%u/~%u objects, ETA %u s", done, total, (unsigned)(eta + 0.5));
	else
		snprintf(buf, size, "%u/~%u objects, ETA %u min", done, total,
			 (unsigned)(eta / 60 + 0.5));
}
