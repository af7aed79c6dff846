/*
 * progress: events, live status and notes on standard error (see
 * progress.h).  One mutex serializes output from parallel builders.
 */
#include "progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* plain (non-terminal) status lines for one node at most this often */
#define PLAIN_STATUS_INTERVAL 5.0

struct status_slot {
	char *node_id;      /* node reporting status */
	double last_plain;  /* when a plain status line was last printed */
};

struct progress {
	FILE *out;                  /* where everything goes (stderr) */
	bool live;                  /* rewrite one status line in place */
	bool json;                  /* one JSON object per line */
	int verbose;                /* -v count */
	bool line_shown;            /* a live status line is on screen */
	struct status_slot *slots;  /* per-node throttling state */
	size_t n_slots;
	pthread_mutex_t lock;       /* serializes all output */
};

struct progress *progress_new(FILE *out, bool live, bool json, int verbose)
{
	struct progress *p = xcalloc(1, sizeof(*p));
	p->out = out;
	p->live = live && !json;
	p->json = json;
	p->verbose = verbose;
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

static void clear_live_line(struct progress *p)
{
	if (p->line_shown) {
		fputs("\r\033[K", p->out);
		p->line_shown = false;
	}
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	clear_live_line(p);
	fflush(p->out);
	for (size_t i = 0; i < p->n_slots; i++)
		free(p->slots[i].node_id);
	free(p->slots);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void emit_json(struct progress *p, const char *event, const char *node_id,
		      double seconds, const char *message)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"event\":");
	json_add_string(&b, event);
	if (node_id) {
		buf_adds(&b, ",\"node\":");
		json_add_string(&b, node_id);
	}
	if (seconds >= 0)
		buf_addf(&b, ",\"seconds\":%.3f", seconds);
	if (message) {
		buf_adds(&b, ",\"message\":");
		json_add_string(&b, message);
	}
	buf_adds(&b, "}\n");
	fputs(b.data, p->out);
	fflush(p->out);
	buf_release(&b);
}

void progress_event(struct progress *p, const char *node_id, const char *event,
		    double seconds, const char *detail)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->json) {
		emit_json(p, event, node_id, seconds, detail);
	} else {
		clear_live_line(p);
		fprintf(p->out, "%-8s %s", event, node_id);
		if (seconds >= 0)
			fprintf(p->out, " (%.1f s)", seconds);
		if (detail)
			fprintf(p->out, ": %s", detail);
		fputc('\n', p->out);
		fflush(p->out);
	}
	pthread_mutex_unlock(&p->lock);
}

void progress_failed(struct progress *p, const char *node_id, double seconds,
		     const char *message, bool returned)
{
	progress_event(p, node_id, "failed", seconds, returned && p && !p->json ? NULL : message);
}

static struct status_slot *slot_for(struct progress *p, const char *node_id)
{
	for (size_t i = 0; i < p->n_slots; i++)
		if (strcmp(p->slots[i].node_id, node_id) == 0)
			return &p->slots[i];
	p->slots = xrealloc(p->slots, (p->n_slots + 1) * sizeof(*p->slots));
	struct status_slot *s = &p->slots[p->n_slots++];
	s->node_id = xstrdup(node_id);
	s->last_plain = -1e9;
	return s;
}

void progress_status(struct progress *p, const char *node_id, const char *fmt, ...)
{
	if (!p)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&p->lock);
	if (p->live) {
		clear_live_line(p);
		fprintf(p->out, "%s: %s", node_id, msg);
		p->line_shown = true;
		fflush(p->out);
	} else {
		struct status_slot *s = slot_for(p, node_id);
		double now = now_monotonic();
		if (now - s->last_plain >= PLAIN_STATUS_INTERVAL) {
			s->last_plain = now;
			if (p->json)
				emit_json(p, "progress", node_id, -1, msg);
			else
				fprintf(p->out, "%-8s %s: %s\n", "progress", node_id, msg);
			fflush(p->out);
		}
	}
	pthread_mutex_unlock(&p->lock);
	free(msg);
}

static void vnote(struct progress *p, const char *kind, const char *node_id, const char *fmt,
		  va_list ap)
{
	char *msg = xvasprintf(fmt, ap);
	pthread_mutex_lock(&p->lock);
	if (p->json) {
		emit_json(p, kind, node_id, -1, msg);
	} else {
		clear_live_line(p);
		if (node_id)
			fprintf(p->out, "%s: %s\n", node_id, msg);
		else
			fprintf(p->out, "%s\n", msg);
		fflush(p->out);
	}
	pthread_mutex_unlock(&p->lock);
	free(msg);
}

void progress_note(struct progress *p, const char *node_id, const char *fmt, ...)
{
	if (!p)
		return;
	va_list ap;
	va_start(ap, fmt);
	vnote(p, "note", node_id, fmt, ap);
	va_end(ap);
}

void progress_debug(struct progress *p, const char *node_id, const char *fmt, ...)
{
	if (!p || p->verbose < 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vnote(p, "debug", node_id, fmt, ap);
	va_end(ap);
}

void progress_clear(struct progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	clear_live_line(p);
	fflush(p->out);
	pthread_mutex_unlock(&p->lock);
}
