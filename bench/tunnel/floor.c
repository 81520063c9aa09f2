// The floor of a user-space tunnel's round trip on this machine: a TUN <-> UDP forwarder that
// does nothing else (no encryption, no protocol, no allocation), to compare a real tunnel's added
// RTT with. Whatever it measures, no user-space tunnel with the same thread layout can beat it on
// the same box; the difference between it and a real tunnel is that tunnel's own work.
//
//   floor LAYOUT IFNAME LISTEN_PORT PEER_IPV4 PEER_PORT [CPU]
//
// LAYOUT 2: two threads, as Patronus and wireguard-go have (one reads the TUN device and sends,
//           one receives datagrams and writes them into the TUN device), each blocking in read.
// LAYOUT 1: one thread polls both; after writing a datagram into the TUN device it reads the TUN
//           device again at once, so a reply the kernel made inside that write (an echo reply to
//           this host) leaves without a second thread being woken.
// CPU:      pins the process to that CPU (sched_setaffinity) before it starts.
//
// The TUN device is created here; the caller gives it an address and sets it up. Built and run by
// bench/tunnel/rtt.sh (builds "floor1", "floor2", "floor1@CPU", "floor2@CPU").
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int tun_fd, udp_fd;

// A whole number in [min, max], or -1 with a message naming the argument.
static long number(const char *name, const char *text, long min, long max)
{
    char *end;
    long value = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || value < min || value > max) {
        fprintf(stderr, "%s takes a whole number from %ld to %ld, got '%s'\n", name, min, max, text);
        return -1;
    }
    return value;
}
static struct sockaddr_in peer;

static void *tun_to_udp(void *unused)
{
    (void)unused;
    char buffer[65536];
    for (;;) {
        ssize_t n = read(tun_fd, buffer, sizeof buffer);
        if (n > 0)
            sendto(udp_fd, buffer, (size_t)n, 0, (struct sockaddr *)&peer, sizeof peer);
    }
    return NULL;
}

static void udp_to_tun(void)
{
    char buffer[65536];
    for (;;) {
        ssize_t n = recv(udp_fd, buffer, sizeof buffer, 0);
        if (n > 0)
            write(tun_fd, buffer, (size_t)n);
    }
}

static void drain_tun(char *buffer, size_t size)
{
    ssize_t n;
    while ((n = read(tun_fd, buffer, size)) > 0)
        sendto(udp_fd, buffer, (size_t)n, 0, (struct sockaddr *)&peer, sizeof peer);
}

static void one_thread(void)
{
    static char buffer[65536];
    fcntl(tun_fd, F_SETFL, O_NONBLOCK);
    fcntl(udp_fd, F_SETFL, O_NONBLOCK);
    struct pollfd fds[2] = { { .fd = tun_fd, .events = POLLIN }, { .fd = udp_fd, .events = POLLIN } };
    for (;;) {
        poll(fds, 2, -1);
        drain_tun(buffer, sizeof buffer);
        ssize_t n;
        while ((n = recv(udp_fd, buffer, sizeof buffer, 0)) > 0) {
            write(tun_fd, buffer, (size_t)n);
            drain_tun(buffer, sizeof buffer);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 6 || (strcmp(argv[1], "1") != 0 && strcmp(argv[1], "2") != 0)) {
        fprintf(stderr, "usage: %s 1|2 IFNAME LISTEN_PORT PEER_IPV4 PEER_PORT [CPU]\n", argv[0]);
        return 2;
    }

    long listen_port = number("LISTEN_PORT", argv[3], 1, 65535), peer_port = number("PEER_PORT", argv[5], 1, 65535);
    long cpu = argc > 6 ? number("CPU", argv[6], 0, CPU_SETSIZE - 1) : 0;
    if (listen_port < 0 || peer_port < 0 || cpu < 0)
        return 2;

    peer.sin_family = AF_INET;
    peer.sin_port = htons((uint16_t)peer_port);
    if (inet_pton(AF_INET, argv[4], &peer.sin_addr) != 1) {
        fprintf(stderr, "not an IPv4 address: %s\n", argv[4]);
        return 2;
    }

    if (argc > 6) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            perror("sched_setaffinity");
            return 1;
        }
    }

    tun_fd = open("/dev/net/tun", O_RDWR);
    struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", argv[2]);
    if (tun_fd < 0 || ioctl(tun_fd, TUNSETIFF, &ifr) != 0) {
        perror("TUN device");
        return 1;
    }

    udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons((uint16_t)listen_port) };
    if (udp_fd < 0 || bind(udp_fd, (struct sockaddr *)&local, sizeof local) != 0) {
        perror("UDP socket");
        return 1;
    }

    if (argv[1][0] == '2') {
        pthread_t thread;
        pthread_create(&thread, NULL, tun_to_udp, NULL);
        udp_to_tun();
    } else {
        one_thread();
    }

    return 0;
}
