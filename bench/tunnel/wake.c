// What one thread waking another costs on this machine, by where the two threads run: a pipe
// ping-pong of one octet, ROUNDS round trips GAP_US microseconds apart (the gap lets an idle CPU
// halt, as between pings 10 ms apart). Each round trip is two wake-ups. docs/tunnels.md, *The
// floor of this machine*, quotes it.
//
//   gcc -O2 -pthread bench/tunnel/wake.c -o /tmp/wake && /tmp/wake CPU_A CPU_B GAP_US
//
// CPU_A / CPU_B: the CPU each thread is pinned to, -1 for none (the scheduler places it).
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 500

static int ping_pipe[2], pong_pipe[2];
static int cpu_b;

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void pin(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        perror("sched_setaffinity");
        exit(1);
    }
}

static void *echo(void *unused)
{
    (void)unused;
    pin(cpu_b);
    char c;
    while (read(ping_pipe[0], &c, 1) == 1)
        if (write(pong_pipe[1], &c, 1) != 1)
            break;
    return NULL;
}

static int compare(const void *a, const void *b)
{
    double d = *(const double *)a - *(const double *)b;
    return d < 0 ? -1 : d > 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s CPU_A CPU_B GAP_US (a CPU of -1: not pinned)\n", argv[0]);
        return 2;
    }

    int cpu_a = atoi(argv[1]), gap = atoi(argv[3]);
    cpu_b = atoi(argv[2]);
    if (pipe(ping_pipe) != 0 || pipe(pong_pipe) != 0) {
        perror("pipe");
        return 1;
    }

    pthread_t thread;
    pthread_create(&thread, NULL, echo, NULL);
    pin(cpu_a);
    static double rtt[ROUNDS];
    char c = 'x';
    for (int i = 0; i < ROUNDS; i++) {
        usleep((useconds_t)gap);
        double start = now_us();
        if (write(ping_pipe[1], &c, 1) != 1 || read(pong_pipe[0], &c, 1) != 1) {
            perror("pipe");
            return 1;
        }
        rtt[i] = now_us() - start;
    }

    qsort(rtt, ROUNDS, sizeof rtt[0], compare);
    printf("threads on CPU %d and %d, %d us apart: round trip p50 %.1f us, p90 %.1f us\n",
           cpu_a, cpu_b, gap, rtt[ROUNDS / 2], rtt[ROUNDS * 9 / 10]);
    return 0;
}
