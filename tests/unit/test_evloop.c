/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the event loop. Timers are driven with a fake clock through
 * ev_timers_run(loop, now): many timers fire in deadline order and only when
 * due (checked against a plain array model), callbacks re-arm and cancel
 * their own and other timers, and ev_timers_next reports the nearest
 * deadline. File descriptors are tested for real with pipes through
 * ev_loop_run_once: readiness, EV_WRITE through ev_io_mod, deletion of an
 * fd whose event is pending in the same batch, and ev_loop_run/ev_loop_stop.
 */
#define _GNU_SOURCE /* pipe2 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/evloop.h"

enum { MANY = 2000 };

/* One test timer: its position in the model and what happened to it. */
struct tt {
	struct ev_timer t;
	struct ev_loop *loop;
	uint64_t want;  /* the deadline it was armed for */
	uint64_t fired; /* `now` of its last firing */
	unsigned count; /* times fired */
	size_t order;   /* global firing sequence number of its last firing */
	int action;     /* what the callback does (enum below) */
	struct tt *other;
	uint64_t period;
	unsigned limit; /* stop re-arming after this many firings */
};

enum {
	ACT_NONE,
	ACT_REARM_PERIOD,
	ACT_REARM_NOW,
	ACT_CANCEL_OTHER,
	ACT_ARM_OTHER,
	ACT_CANCEL_SELF
};

static size_t seq;

static void on_timer(void *arg, uint64_t now)
{
	struct tt *x = arg;

	/* A timer never fires early, and is not armed while its callback runs. */
	assert_true(x->t.when <= now);
	assert_false(ev_timer_armed(&x->t));
	x->fired = now;
	x->count++;
	x->order = ++seq;
	switch (x->action) {
	case ACT_REARM_PERIOD:
		if (x->count < x->limit)
			assert_int_equal(ev_timer_arm(x->loop, &x->t, now + x->period), 0);
		break;
	case ACT_REARM_NOW:
		if (x->count < x->limit)
			assert_int_equal(ev_timer_arm(x->loop, &x->t, now), 0);
		break;
	case ACT_CANCEL_OTHER:
		ev_timer_cancel(x->loop, &x->other->t);
		break;
	case ACT_ARM_OTHER:
		assert_int_equal(ev_timer_arm(x->loop, &x->other->t, now + x->period), 0);
		break;
	case ACT_CANCEL_SELF:
		/* Cancelling a timer that is not armed is a no-op. */
		ev_timer_cancel(x->loop, &x->t);
		break;
	default:
		break;
	}
}

static void tt_init(struct tt *x, struct ev_loop *loop)
{
	memset(x, 0, sizeof(*x));
	x->loop = loop;
	ev_timer_init(&x->t, on_timer, x);
}

static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void test_init_and_empty(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct tt a;

	(void)state;
	assert_non_null(loop);
	tt_init(&a, loop);
	assert_false(ev_timer_armed(&a.t));
	assert_int_equal(ev_timers_next(loop, 0), -1);
	assert_int_equal(ev_timers_run(loop, UINT64_MAX), 0);
	/* Cancel of an unarmed timer is harmless, twice. */
	ev_timer_cancel(loop, &a.t);
	ev_timer_cancel(loop, &a.t);
	assert_int_equal(ev_timer_arm(loop, &a.t, 100), 0);
	assert_true(ev_timer_armed(&a.t));
	assert_int_equal(ev_timers_next(loop, 0), 100);
	assert_int_equal(ev_timers_next(loop, 99), 1);
	assert_int_equal(ev_timers_next(loop, 100), 0);
	assert_int_equal(ev_timers_next(loop, 1000), 0);
	/* Far deadlines are capped at a day, not truncated into a negative int. */
	assert_int_equal(ev_timer_arm(loop, &a.t, UINT64_C(1) << 40), 0);
	assert_int_equal(ev_timers_next(loop, 0), 86400000);
	/* Re-arming moves the timer rather than adding it twice. */
	assert_int_equal(ev_timer_arm(loop, &a.t, 50), 0);
	assert_int_equal(ev_timers_run(loop, 49), 0);
	assert_int_equal(ev_timers_run(loop, 50), 1);
	assert_int_equal(a.count, 1);
	assert_int_equal(a.fired, 50);
	assert_int_equal(ev_timers_run(loop, 10000), 0);
	assert_int_equal(ev_timers_next(loop, 0), -1);
	ev_loop_free(loop);
	ev_loop_free(NULL);
}

/* The smallest deadline among armed model timers, or UINT64_MAX. */
static uint64_t model_min(const struct tt *xs, size_t n)
{
	uint64_t m = UINT64_MAX;

	for (size_t i = 0; i < n; i++)
		if (ev_timer_armed(&xs[i].t) && xs[i].want < m)
			m = xs[i].want;
	return m;
}

static void test_many_in_order(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct tt *xs = calloc(MANY, sizeof(*xs));
	uint64_t now = 0, last_when = 0;
	size_t total = 0, last_order = 0;

	(void)state;
	assert_non_null(loop);
	assert_non_null(xs);
	seq = 0;
	for (size_t i = 0; i < MANY; i++) {
		tt_init(&xs[i], loop);
		/* Small range: many equal deadlines too. */
		xs[i].want = 1 + next_rand() % 5000;
		assert_int_equal(ev_timer_arm(loop, &xs[i].t, xs[i].want), 0);
	}
	/* Re-arm a third of them elsewhere and cancel a tenth: the heap must follow. */
	for (size_t i = 0; i < MANY; i += 3) {
		xs[i].want = 1 + next_rand() % 5000;
		assert_int_equal(ev_timer_arm(loop, &xs[i].t, xs[i].want), 0);
	}
	for (size_t i = 5; i < MANY; i += 10)
		ev_timer_cancel(loop, &xs[i].t);
	while (model_min(xs, MANY) != UINT64_MAX) {
		uint64_t m = model_min(xs, MANY);
		int next = ev_timers_next(loop, now);
		size_t ran, due = 0;

		assert_int_equal(next, m <= now ? 0 : (int)(m - now));
		now += 1 + next_rand() % 97;
		for (size_t i = 0; i < MANY; i++)
			if (ev_timer_armed(&xs[i].t) && xs[i].want <= now)
				due++;
		ran = ev_timers_run(loop, now);
		assert_int_equal(ran, due);
		total += ran;
		for (size_t i = 0; i < MANY; i++)
			if (xs[i].count > 0)
				assert_false(ev_timer_armed(&xs[i].t));
			else
				assert_true(xs[i].want > now || (i % 10 == 5));
	}
	/* Every timer not cancelled fired exactly once, in deadline order. */
	for (size_t k = 1; k <= total; k++) {
		size_t i;

		for (i = 0; i < MANY && xs[i].order != k; i++)
			;
		assert_true(i < MANY);
		assert_true(xs[i].want >= last_when);
		last_when = xs[i].want;
		last_order = k;
	}
	assert_int_equal(last_order, total);
	for (size_t i = 0; i < MANY; i++)
		assert_int_equal(xs[i].count, (i % 10 == 5) ? 0 : 1);
	assert_int_equal(ev_timers_next(loop, now), -1);
	ev_loop_free(loop);
	free(xs);
}

static void test_rearm_in_callback(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct tt p, q;

	(void)state;
	seq = 0;
	tt_init(&p, loop);
	p.action = ACT_REARM_PERIOD;
	p.period = 10;
	p.limit = 5;
	tt_init(&q, loop);
	assert_int_equal(ev_timer_arm(loop, &p.t, 10), 0);
	assert_int_equal(ev_timer_arm(loop, &q.t, 35), 0);
	/* Re-armed relative to `now`, so one run fires it once. */
	assert_int_equal(ev_timers_run(loop, 10), 1);
	assert_true(ev_timer_armed(&p.t));
	assert_int_equal(p.t.when, 20);
	assert_int_equal(ev_timers_next(loop, 10), 10);
	assert_int_equal(ev_timers_run(loop, 19), 0);
	assert_int_equal(ev_timers_run(loop, 20), 1);
	/* A late run: p (due 30) then q (due 35), p re-armed for 50. */
	assert_int_equal(ev_timers_run(loop, 40), 2);
	assert_true(p.order < q.order);
	assert_int_equal(p.t.when, 50);
	assert_int_equal(ev_timers_run(loop, 50), 1);
	assert_int_equal(ev_timers_run(loop, 60), 1);
	/* Fifth firing: limit reached, not re-armed. */
	assert_int_equal(p.count, 5);
	assert_false(ev_timer_armed(&p.t));
	assert_int_equal(ev_timers_next(loop, 60), -1);
	ev_loop_free(loop);
}

/*
 * A callback that re-arms its timer for `now` (or earlier) must not make
 * ev_timers_run spin: the timer fires on the next run, and timers that were
 * due when the run began all still fire in this one.
 */
static void test_rearm_now_terminates(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct tt a, b;

	(void)state;
	seq = 0;
	tt_init(&a, loop);
	a.action = ACT_REARM_NOW;
	a.limit = 1000;
	tt_init(&b, loop);
	assert_int_equal(ev_timer_arm(loop, &a.t, 5), 0);
	assert_int_equal(ev_timer_arm(loop, &b.t, 7), 0);
	assert_int_equal(ev_timers_run(loop, 10), 2);
	assert_int_equal(a.count, 1);
	assert_int_equal(b.count, 1);
	assert_true(ev_timer_armed(&a.t));
	/* Deferred, not lost: due on the very next millisecond. */
	assert_int_equal(ev_timers_next(loop, 10), 1);
	assert_int_equal(ev_timers_run(loop, 11), 1);
	assert_int_equal(a.count, 2);
	assert_int_equal(a.fired, 11);
	ev_timer_cancel(loop, &a.t);
	/* Outside a run, arming in the past is simply due at once. */
	assert_int_equal(ev_timer_arm(loop, &b.t, 3), 0);
	assert_int_equal(b.t.when, 3);
	assert_int_equal(ev_timers_next(loop, 20), 0);
	assert_int_equal(ev_timers_run(loop, 20), 1);
	assert_int_equal(b.count, 2);
	ev_loop_free(loop);
}

static void test_cancel_in_callback(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct tt a, b, c, d, e;

	(void)state;
	seq = 0;
	tt_init(&a, loop);
	tt_init(&b, loop);
	tt_init(&c, loop);
	tt_init(&d, loop);
	tt_init(&e, loop);
	/* a cancels b, which is due later in the same run; c cancels itself (no-op). */
	a.action = ACT_CANCEL_OTHER;
	a.other = &b;
	c.action = ACT_CANCEL_SELF;
	/* d arms e for later; e was not armed before. */
	d.action = ACT_ARM_OTHER;
	d.other = &e;
	d.period = 100;
	assert_int_equal(ev_timer_arm(loop, &a.t, 10), 0);
	assert_int_equal(ev_timer_arm(loop, &b.t, 11), 0);
	assert_int_equal(ev_timer_arm(loop, &c.t, 12), 0);
	assert_int_equal(ev_timer_arm(loop, &d.t, 13), 0);
	assert_int_equal(ev_timers_run(loop, 20), 3);
	assert_int_equal(a.count, 1);
	assert_int_equal(b.count, 0);
	assert_false(ev_timer_armed(&b.t));
	assert_int_equal(c.count, 1);
	assert_int_equal(d.count, 1);
	assert_true(ev_timer_armed(&e.t));
	assert_int_equal(e.t.when, 120);
	assert_int_equal(ev_timers_run(loop, 119), 0);
	assert_int_equal(ev_timers_run(loop, 120), 1);
	assert_int_equal(e.count, 1);
	assert_int_equal(b.count, 0);
	ev_loop_free(loop);
}

/* Cancelling from the middle, the end and the root keeps the heap in order. */
static void test_cancel_others(void **state)
{
	struct ev_loop *loop = ev_loop_new();
	struct tt xs[64];
	uint64_t last = 0;

	(void)state;
	seq = 0;
	for (size_t i = 0; i < 64; i++) {
		tt_init(&xs[i], loop);
		xs[i].want = 1000 - (i * 37) % 640;
		assert_int_equal(ev_timer_arm(loop, &xs[i].t, xs[i].want), 0);
	}
	for (size_t i = 0; i < 64; i += 4)
		ev_timer_cancel(loop, &xs[i].t);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(ev_timer_armed(&xs[i].t), i % 4 != 0);
	assert_int_equal(ev_timers_run(loop, 2000), 48);
	for (size_t k = 1; k <= 48; k++)
		for (size_t i = 0; i < 64; i++)
			if (xs[i].order == k) {
				assert_true(i % 4 != 0);
				assert_true(xs[i].want >= last);
				last = xs[i].want;
			}
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(xs[i].count, i % 4 != 0 ? 1 : 0);
	ev_loop_free(loop);
}

/* Real file descriptors through ev_loop_run_once. */
struct pio {
	struct ev_loop *loop;
	int fds[2][2];
	unsigned events[2];
	int calls[2];
	bool del_other;
	bool stop;
};

static void on_pipe(int fd, unsigned events, void *arg)
{
	struct pio *p = arg;
	int i = fd == p->fds[0][0] || fd == p->fds[0][1] ? 0 : 1;
	char buf[16];

	p->events[i] = events;
	p->calls[i]++;
	if (events & EV_READ)
		assert_true(read(fd, buf, sizeof(buf)) > 0);
	if (p->del_other)
		ev_io_del(p->loop, p->fds[1 - i][0]);
	if (p->stop)
		ev_loop_stop(p->loop);
}

static void pio_open(struct pio *p)
{
	memset(p, 0, sizeof(*p));
	p->loop = ev_loop_new();
	assert_non_null(p->loop);
	assert_int_equal(pipe2(p->fds[0], O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(pipe2(p->fds[1], O_NONBLOCK | O_CLOEXEC), 0);
}

static void pio_close(struct pio *p)
{
	ev_loop_free(p->loop);
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			close(p->fds[i][j]);
}

static void test_pipe_io(void **state)
{
	struct pio p;

	(void)state;
	pio_open(&p);
	assert_int_equal(ev_io_add(p.loop, -1, EV_READ, on_pipe, &p), BW_ERR_INVAL);
	assert_int_equal(ev_io_add(p.loop, p.fds[0][0], EV_READ, on_pipe, &p), 0);
	assert_int_equal(ev_io_add(p.loop, p.fds[0][0], EV_READ, on_pipe, &p), BW_ERR_EXISTS);
	assert_int_equal(ev_io_mod(p.loop, p.fds[1][0], EV_READ), BW_ERR_NOTFOUND);
	/* Nothing to read: the wait times out without a call. */
	assert_int_equal(ev_loop_run_once(p.loop, 0), 0);
	assert_int_equal(p.calls[0], 0);
	assert_int_equal(write(p.fds[0][1], "x", 1), 1);
	assert_int_equal(ev_loop_run_once(p.loop, 1000), 0);
	assert_int_equal(p.calls[0], 1);
	assert_int_equal(p.events[0], EV_READ);
	/* Drained by the callback: no second call. */
	assert_int_equal(ev_loop_run_once(p.loop, 0), 0);
	assert_int_equal(p.calls[0], 1);
	/* A write end is writable at once when asked for EV_WRITE. */
	assert_int_equal(ev_io_add(p.loop, p.fds[1][1], 0, on_pipe, &p), 0);
	assert_int_equal(ev_loop_run_once(p.loop, 0), 0);
	assert_int_equal(p.calls[1], 0);
	assert_int_equal(ev_io_mod(p.loop, p.fds[1][1], EV_WRITE), 0);
	assert_int_equal(ev_loop_run_once(p.loop, 1000), 0);
	assert_int_equal(p.calls[1], 1);
	assert_int_equal(p.events[1], EV_WRITE);
	ev_io_del(p.loop, p.fds[1][1]);
	ev_io_del(p.loop, p.fds[1][1]);
	ev_io_del(p.loop, 12345);
	assert_int_equal(ev_loop_run_once(p.loop, 0), 0);
	assert_int_equal(p.calls[1], 1);
	/* A deleted fd can be added again. */
	ev_io_del(p.loop, p.fds[0][0]);
	assert_int_equal(write(p.fds[0][1], "y", 1), 1);
	assert_int_equal(ev_loop_run_once(p.loop, 0), 0);
	assert_int_equal(p.calls[0], 1);
	assert_int_equal(ev_io_add(p.loop, p.fds[0][0], EV_READ, on_pipe, &p), 0);
	assert_int_equal(ev_loop_run_once(p.loop, 1000), 0);
	assert_int_equal(p.calls[0], 2);
	pio_close(&p);
}

/* Both pipes readable in one batch; the first callback deletes the other fd. */
static void test_delete_pending(void **state)
{
	struct pio p;

	(void)state;
	pio_open(&p);
	p.del_other = true;
	assert_int_equal(ev_io_add(p.loop, p.fds[0][0], EV_READ, on_pipe, &p), 0);
	assert_int_equal(ev_io_add(p.loop, p.fds[1][0], EV_READ, on_pipe, &p), 0);
	assert_int_equal(write(p.fds[0][1], "a", 1), 1);
	assert_int_equal(write(p.fds[1][1], "b", 1), 1);
	assert_int_equal(ev_loop_run_once(p.loop, 1000), 0);
	assert_int_equal(p.calls[0] + p.calls[1], 1);
	pio_close(&p);
}

static void on_wall_timer(void *arg, uint64_t now)
{
	struct pio *p = arg;

	(void)now;
	p->calls[1]++;
	ev_loop_stop(p->loop);
}

/* The loop sleeps until the nearest timer, fires it, and ev_loop_stop ends run. */
static void test_real_clock_timer(void **state)
{
	struct pio p;
	struct ev_timer t;
	uint64_t t0, t1;

	(void)state;
	pio_open(&p);
	ev_timer_init(&t, on_wall_timer, &p);
	t0 = ev_now_ms();
	assert_int_equal(ev_timer_arm(p.loop, &t, t0 + 30), 0);
	assert_int_equal(ev_loop_run(p.loop), 0);
	t1 = ev_now_ms();
	assert_int_equal(p.calls[1], 1);
	assert_true(t1 >= t0 + 30);
	assert_true(t1 < t0 + 5000);
	/* An fd callback can stop ev_loop_run too. */
	p.stop = true;
	assert_int_equal(ev_io_add(p.loop, p.fds[0][0], EV_READ, on_pipe, &p), 0);
	assert_int_equal(write(p.fds[0][1], "z", 1), 1);
	assert_int_equal(ev_loop_run(p.loop), 0);
	assert_int_equal(p.calls[0], 1);
	pio_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_init_and_empty),
	        cmocka_unit_test(test_many_in_order),
	        cmocka_unit_test(test_rearm_in_callback),
	        cmocka_unit_test(test_rearm_now_terminates),
	        cmocka_unit_test(test_cancel_in_callback),
	        cmocka_unit_test(test_cancel_others),
	        cmocka_unit_test(test_pipe_io),
	        cmocka_unit_test(test_delete_pending),
	        cmocka_unit_test(test_real_clock_timer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
