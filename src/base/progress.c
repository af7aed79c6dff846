/*
 * progress: events, live status and notes on standard error (see
 * progress.h).  One mutex serializes output from parallel builders.
 */
#include "base/progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"

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

/* start an event object: {"event":EVENT[,"node":NODE] */
static void json_event_start(struct buf *b, const char *event, const char *node_id)
{
	buf_addc(b, '{');
	json_add_member_string(b, "event", event);
	json_add_member_string(b, "node", node_id);
}

/* end the event object in b and print it as one line */
static void json_event_emit(struct progress *p, struct buf *b)
{
	buf_adds(b, "}\n");
	fputs(b->data, p->out);
	fflush(p->out);
	buf_release(b);
}

static void emit_json(struct progress *p, const char *event, const char *node_id,
		      double seconds, const char *message)
{
	struct buf b = BUF_INIT;
	json_event_start(&b, event, node_id);
	if (seconds >= 0)
		json_add_member_number(&b, "seconds", seconds);
	json_add_member_string(&b, "message", message);
	json_event_emit(p, &b);
}

/* a "progress" event: the status text, and c's numbers when there are some */
static void emit_json_status(struct progress *p, const char *node_id, const char *message,
			     const struct progress_counts *c)
{
	struct buf b = BUF_INIT;
	json_event_start(&b, "progress", node_id);
	json_add_member_string(&b, "message", message);
	if (c) {
		json_add_member_string(&b, "unit", c->unit);
		json_add_member_int(&b, "done", (long long)c->done);
		if (c->total) {
			json_add_member_int(&b, "total", (long long)c->total);
			json_add_member_bool(&b, "estimated", c->estimated);
		}
		if (c->rate >= 0)
			json_add_member_number(&b, "rate", c->rate);
		if (c->eta >= 0)
			json_add_member_number(&b, "eta_seconds", c->eta);
		if (c->elapsed >= 0)
			json_add_member_number(&b, "elapsed_seconds", c->elapsed);
	}
	json_event_emit(p, &b);
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

static void vstatus(struct progress *p, const char *node_id, const struct progress_counts *c,
		    const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap);
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
				emit_json_status(p, node_id, msg, c);
			else
				fprintf(p->out, "%-8s %s: %s\n", "progress", node_id, msg);
			fflush(p->out);
		}
	}
	pthread_mutex_unlock(&p->lock);
	free(msg);
}

void progress_status(struct progress *p, const char *node_id, const char *fmt, ...)
{
	if (!p)
		return;
	va_list ap;
	va_start(ap, fmt);
	vstatus(p, node_id, NULL, fmt, ap);
	va_end(ap);
}

void progress_counts(struct progress *p, const char *node_id, const struct progress_counts *c,
		     const char *fmt, ...)
{
	if (!p)
		return;
	va_list ap;
	va_start(ap, fmt);
	vstatus(p, node_id, c, fmt, ap);
	va_end(ap);
}

void progress_error(struct progress *p, const struct error *err, int exit_status)
{
	const char *msg = err->msg ? err->msg : "unknown error";
	pthread_mutex_lock(&p->lock);
	if (!p->json) {
		clear_live_line(p);
		fprintf(p->out, "mvbuild: %s\n", msg);
		fflush(p->out);
	} else {
		struct buf b = BUF_INIT;
		json_event_start(&b, "error", NULL);
		json_add_member_string(&b, "kind", err->kind == ERROR_USAGE ? "usage" :
					   err->kind == ERROR_INTERRUPTED ? "interrupted" : "failure");
		json_add_member_string(&b, "message", msg);
		json_add_member_int(&b, "exit", exit_status);
		json_add_member_string(&b, "file", err->file);
		if (err->file && err->line > 0)
			json_add_member_int(&b, "line", err->line);
		if (err->file && err->column > 0)
			json_add_member_int(&b, "column", err->column);
		json_event_emit(p, &b);
	}
	pthread_mutex_unlock(&p->lock);
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
