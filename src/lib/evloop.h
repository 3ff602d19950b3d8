/* SPDX-License-Identifier: ISC */
/*
 * The event loop: epoll for file descriptors plus a timer heap. Time is an
 * input: timers fire from ev_timers_run(loop, now), which the loop calls
 * with the monotonic clock and tests call with a fake one. Callbacks run
 * on the loop's thread; a callback may arm, cancel or delete anything,
 * including its own timer or fd.
 */
#ifndef BW_EVLOOP_H
#define BW_EVLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	EV_READ = 1,
	EV_WRITE = 2,
};

struct ev_loop;
typedef void (*ev_io_cb)(int fd, unsigned events, void *arg);
typedef void (*ev_timer_cb)(void *arg, uint64_t now_ms);

/* A timer the caller owns (embed it in its object); zero it before first use. */
struct ev_timer {
	uint64_t when; /* ms on the loop's clock */
	ev_timer_cb cb;
	void *arg;
	size_t slot; /* heap index + 1; 0 = not armed */
};

struct ev_loop *ev_loop_new(void);
void ev_loop_free(struct ev_loop *loop);
/* Monotonic milliseconds, the clock the loop passes to timers. */
uint64_t ev_now_ms(void);

int ev_io_add(struct ev_loop *loop, int fd, unsigned events, ev_io_cb cb, void *arg);
int ev_io_mod(struct ev_loop *loop, int fd, unsigned events);
void ev_io_del(struct ev_loop *loop, int fd);

void ev_timer_init(struct ev_timer *t, ev_timer_cb cb, void *arg);
/* Arms (or re-arms) t to fire at `when` ms. */
int ev_timer_arm(struct ev_loop *loop, struct ev_timer *t, uint64_t when);
void ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t);
static inline bool ev_timer_armed(const struct ev_timer *t)
{
	return t->slot != 0;
}
/*
 * Runs every timer due at `now`; returns the number run. A callback that arms
 * a timer for `now` or earlier gets it due at now + 1: it fires on the next
 * run, so one run always ends.
 */
size_t ev_timers_run(struct ev_loop *loop, uint64_t now);
/* ms until the next timer from now, or -1 if none. */
int ev_timers_next(const struct ev_loop *loop, uint64_t now);

/* Waits at most max_ms (-1 forever) for events, dispatches them, then timers. */
int ev_loop_run_once(struct ev_loop *loop, int max_ms);
/* Runs until ev_loop_stop(). */
int ev_loop_run(struct ev_loop *loop);
void ev_loop_stop(struct ev_loop *loop);

#endif
