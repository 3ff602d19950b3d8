/* SPDX-License-Identifier: ISC */
/*
 * epoll + binary-heap timers. File descriptors map to their callbacks
 * through a small array indexed by fd (grown on demand), so dispatch is
 * one load; a deleted fd's pending events in the current batch are skipped
 * by checking that the slot is still the one epoll reported.
 */
#define _DEFAULT_SOURCE /* clock_gettime, localtime_r */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/evloop.h"

struct ev_io {
	ev_io_cb cb;
	void *arg;
	uint64_t gen; /* changes on every add, so stale events are skipped */
	bool used;
};

struct ev_loop {
	int epfd;
	struct ev_io *io;
	size_t n_io;
	uint64_t gen;
	struct ev_timer **heap;
	size_t n_heap;
	size_t cap_heap;
	bool stop;
	bool in_timers;      /* inside ev_timers_run */
	uint64_t timers_now; /* its `now` */
};

uint64_t ev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ev_loop *ev_loop_new(void)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	return loop;
}

void ev_loop_free(struct ev_loop *loop)
{
	if (loop == NULL)
		return;
	close(loop->epfd);
	free(loop->io);
	free(loop->heap);
	free(loop);
}

static uint32_t to_epoll(unsigned events)
{
	return ((events & EV_READ) ? EPOLLIN : 0) | ((events & EV_WRITE) ? EPOLLOUT : 0);
}

int ev_io_add(struct ev_loop *loop, int fd, unsigned events, ev_io_cb cb, void *arg)
{
	struct epoll_event ev;

	if (fd < 0)
		return BW_ERR_INVAL;
	if ((size_t)fd >= loop->n_io) {
		size_t n = (size_t)fd + 16;
		struct ev_io *io = realloc(loop->io, n * sizeof(*io));

		if (io == NULL)
			return BW_ERR_NOMEM;
		memset(io + loop->n_io, 0, (n - loop->n_io) * sizeof(*io));
		loop->io = io;
		loop->n_io = n;
	}
	if (loop->io[fd].used)
		return BW_ERR_EXISTS;
	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(events);
	ev.data.u64 = (uint64_t)fd | (++loop->gen << 32);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		return BW_ERR_IO;
	loop->io[fd] = (struct ev_io){.cb = cb, .arg = arg, .gen = loop->gen, .used = true};
	return 0;
}

int ev_io_mod(struct ev_loop *loop, int fd, unsigned events)
{
	struct epoll_event ev;

	if (fd < 0 || (size_t)fd >= loop->n_io || !loop->io[fd].used)
		return BW_ERR_NOTFOUND;
	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(events);
	ev.data.u64 = (uint64_t)fd | (loop->io[fd].gen << 32);
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : BW_ERR_IO;
}

void ev_io_del(struct ev_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->n_io || !loop->io[fd].used)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->io[fd].used = false;
}

/* Timer heap: min-heap on `when`; slot is index + 1 so 0 means "not armed". */
static void heap_set(struct ev_loop *loop, size_t i, struct ev_timer *t)
{
	loop->heap[i] = t;
	t->slot = i + 1;
}

static void heap_up(struct ev_loop *loop, size_t i)
{
	struct ev_timer *t = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (loop->heap[parent]->when <= t->when)
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void heap_down(struct ev_loop *loop, size_t i)
{
	struct ev_timer *t = loop->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= loop->n_heap)
			break;
		if (c + 1 < loop->n_heap && loop->heap[c + 1]->when < loop->heap[c]->when)
			c++;
		if (t->when <= loop->heap[c]->when)
			break;
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, t);
}

void ev_timer_init(struct ev_timer *t, ev_timer_cb cb, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->cb = cb;
	t->arg = arg;
}

void ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t)
{
	size_t i;
	struct ev_timer *last;

	if (t->slot == 0)
		return;
	i = t->slot - 1;
	t->slot = 0;
	last = loop->heap[--loop->n_heap];
	if (i == loop->n_heap)
		return;
	heap_set(loop, i, last);
	heap_up(loop, i);
	heap_down(loop, last->slot - 1);
}

int ev_timer_arm(struct ev_loop *loop, struct ev_timer *t, uint64_t when)
{
	ev_timer_cancel(loop, t);
	/*
	 * Armed from a timer callback for a time already reached: due on the
	 * next run, or a timer re-armed for `now` would keep the run going forever.
	 */
	if (loop->in_timers && when <= loop->timers_now)
		when = loop->timers_now + 1;
	if (loop->n_heap == loop->cap_heap) {
		size_t n = loop->cap_heap ? loop->cap_heap * 2 : 16;
		struct ev_timer **h = realloc(loop->heap, n * sizeof(*h));

		if (h == NULL)
			return BW_ERR_NOMEM;
		loop->heap = h;
		loop->cap_heap = n;
	}
	t->when = when;
	heap_set(loop, loop->n_heap++, t);
	heap_up(loop, loop->n_heap - 1);
	return 0;
}

size_t ev_timers_run(struct ev_loop *loop, uint64_t now)
{
	size_t n = 0;
	bool outer = loop->in_timers;
	uint64_t outer_now = loop->timers_now;

	loop->in_timers = true;
	loop->timers_now = now;
	while (loop->n_heap > 0 && loop->heap[0]->when <= now) {
		struct ev_timer *t = loop->heap[0];

		ev_timer_cancel(loop, t);
		t->cb(t->arg, now); /* may re-arm t */
		n++;
	}
	loop->in_timers = outer;
	loop->timers_now = outer_now;
	return n;
}

int ev_timers_next(const struct ev_loop *loop, uint64_t now)
{
	uint64_t d;

	if (loop->n_heap == 0)
		return -1;
	if (loop->heap[0]->when <= now)
		return 0;
	d = loop->heap[0]->when - now;
	return d > 86400000 ? 86400000 : (int)d;
}

int ev_loop_run_once(struct ev_loop *loop, int max_ms)
{
	struct epoll_event evs[64];
	int n, wait = ev_timers_next(loop, ev_now_ms());

	if (max_ms >= 0 && (wait < 0 || wait > max_ms))
		wait = max_ms;
	n = epoll_wait(loop->epfd, evs, 64, wait);
	if (n < 0 && errno != EINTR)
		return BW_ERR_IO;
	for (int i = 0; i < n; i++) {
		int fd = (int)(evs[i].data.u64 & 0xffffffffu);
		uint64_t gen = evs[i].data.u64 >> 32;
		unsigned events = 0;
		struct ev_io *io;

		if ((size_t)fd >= loop->n_io)
			continue;
		io = &loop->io[fd];
		/* Skip events for an fd deleted (or replaced) by an earlier callback. */
		if (!io->used || (io->gen & 0xffffffffu) != gen)
			continue;
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			events |= EV_READ;
		if (evs[i].events & EPOLLOUT)
			events |= EV_WRITE;
		io->cb(fd, events, io->arg);
	}
	ev_timers_run(loop, ev_now_ms());
	return 0;
}

int ev_loop_run(struct ev_loop *loop)
{
	int r = 0;

	loop->stop = false;
	while (!loop->stop && (r = ev_loop_run_once(loop, -1)) == 0)
		;
	return r;
}

void ev_loop_stop(struct ev_loop *loop)
{
	loop->stop = true;
}
