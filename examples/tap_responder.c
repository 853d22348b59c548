/*
 * tap_responder: a TAP device with a virtual host behind it.
 *
 * A TAP device carries Ethernet frames, so before the kernel sends a ping
 * it asks for the destination's MAC address: ARP for IPv4, neighbour
 * solicitation for IPv6. This program plays a host with its own MAC and
 * address on the device's link: it answers those questions and then the
 * pings (ICMP and ICMPv6 echo).
 *
 * Run as root (or with CAP_NET_ADMIN), then from another terminal:
 *   sudo ./tap_responder          # tap 10.0.1.1/24 fd00:1::1/64, host .2
 *   ping 10.0.1.2
 *   ping fd00:1::2
 *   ip neigh                      # 10.0.1.2 lladdr 02:00:00:00:00:02
 * Options: see `help` below (or run it with --help).
 */
#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#endif
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/example.h"
#include "common/packet.h"

#define ETH_HEADER 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd
#define ARP_LENGTH 28
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_OPT_TARGET_LINKADDR 2
#define ND_HOP_LIMIT 255 /* RFC 4861: anything else is not from the link */

/* The virtual host this program plays. */
struct host {
    uint8_t mac[6];
    tun_address ipv4;
    tun_address ipv6;
};

static const char help[] =
    "[-n NAME] [-4 ADDR/PREFIX] [-6 ADDR/PREFIX]\n"
    "          [-a HOST_IPV4] [-A HOST_IPV6] [-M HOST_MAC] [-c COUNT] [-t SECONDS]\n"
    "Answers ARP, neighbour solicitation and ping for a virtual host behind a\n"
    "TAP device. Ctrl-C stops it.\n"
    "  -n, --name NAME        interface name or pattern (default: tap%d)\n"
    "  -4, --ipv4 A/P         the device's IPv4 address (default: 10.0.1.1/24)\n"
    "  -6, --ipv6 A/P         the device's IPv6 address (default: fd00:1::1/64)\n"
    "  -a, --host-ipv4 ADDR   the virtual host's IPv4 address (default: 10.0.1.2)\n"
    "  -A, --host-ipv6 ADDR   the virtual host's IPv6 address (default: fd00:1::2)\n"
    "  -M, --host-mac MAC     the virtual host's MAC, unicast\n"
    "                         (default: 02:00:00:00:00:02)\n"
    "  -c, --count N          stop after answering N pings\n"
    "  -t, --timeout S        stop after S seconds\n"
    "  -h, --help             this text\n"
    "Exit status: 0 done, 1 a run-time failure, 2 a usage error.\n";

/* "ARP who-has 10.0.1.2 tell 10.0.1.1", as tcpdump says it. */
static void describe_arp(const uint8_t *frame, size_t len, char *out,
                         size_t size)
{
    char target[INET_ADDRSTRLEN], sender[INET_ADDRSTRLEN];
    const uint8_t *arp = frame + ETH_HEADER;
    if (len < ETH_HEADER + ARP_LENGTH) {
        snprintf(out, size, "short ARP packet");
        return;
    }
    inet_ntop(AF_INET, arp + 24, target, sizeof(target));
    inet_ntop(AF_INET, arp + 14, sender, sizeof(sender));
    snprintf(out, size, "ARP who-has %s tell %s", target, sender);
}

/* ARP request for the host's IPv4 address: answer in place. Returns the
 * reply length or 0. */
static size_t answer_arp(const struct host *h, uint8_t *frame, size_t len)
{
    uint8_t *arp = frame + ETH_HEADER;
    if (len < ETH_HEADER + ARP_LENGTH || packet_get16(arp) != 1 ||
        packet_get16(arp + 2) != ETHERTYPE_IPV4 || arp[4] != 6 || arp[5] != 4 ||
        packet_get16(arp + 6) != ARP_REQUEST ||
        memcmp(arp + 24, h->ipv4.addr, 4) != 0)
        return 0;
    /* The asker becomes the target; the host fills in the sender fields. */
    memcpy(arp + 18, arp + 8, 10);
    memcpy(arp + 8, h->mac, 6);
    memcpy(arp + 14, h->ipv4.addr, 4);
    packet_put16(arp + 6, ARP_REPLY);
    memcpy(frame, frame + 6, 6);
    memcpy(frame + 6, h->mac, 6);
    return ETH_HEADER + ARP_LENGTH;
}

/* Neighbour solicitation for the host's IPv6 address: write the neighbour
 * advertisement into out (at least 86 bytes). Returns its length or 0. */
static size_t answer_ns(const struct host *h, const uint8_t *frame, size_t len,
                        uint8_t *out)
{
    static const uint8_t unspecified[16];
    const uint8_t *ip6 = frame + ETH_HEADER;
    const uint8_t *icmp = ip6 + PACKET_IPV6_HEADER;
    if (len < ETH_HEADER + PACKET_IPV6_HEADER + 24 ||
        packet_get16(frame + 12) != ETHERTYPE_IPV6 || ip6[0] >> 4 != 6 ||
        packet_get16(ip6 + 4) < 24 || ip6[6] != PACKET_PROTO_ICMPV6 ||
        ip6[7] != ND_HOP_LIMIT ||
        icmp[0] != ND_NEIGHBOR_SOLICIT || memcmp(icmp + 8, h->ipv6.addr, 16) ||
        /* from :: it is duplicate address detection, not a question */
        memcmp(ip6 + 8, unspecified, 16) == 0)
        return 0;

    memcpy(out, frame + 6, 6);
    memcpy(out + 6, h->mac, 6);
    packet_put16(out + 12, ETHERTYPE_IPV6);
    uint8_t *na = out + ETH_HEADER;
    uint8_t *na_icmp = na + PACKET_IPV6_HEADER;
    const uint16_t na_length = 32; /* header, flags, target, MAC option */
    memset(na, 0, PACKET_IPV6_HEADER + na_length);
    na[0] = 0x60;
    packet_put16(na + 4, na_length);
    na[6] = PACKET_PROTO_ICMPV6;
    na[7] = ND_HOP_LIMIT;
    memcpy(na + 8, h->ipv6.addr, 16);
    memcpy(na + 24, ip6 + 8, 16); /* back to the asker */
    na_icmp[0] = ND_NEIGHBOR_ADVERT;
    na_icmp[4] = 0x60; /* Solicited and Override */
    memcpy(na_icmp + 8, h->ipv6.addr, 16);
    na_icmp[24] = ND_OPT_TARGET_LINKADDR;
    na_icmp[25] = 1; /* option length in units of 8 bytes */
    memcpy(na_icmp + 26, h->mac, 6);
    packet_icmpv6_set_checksum(na);
    return ETH_HEADER + PACKET_IPV6_HEADER + na_length;
}

/* An echo request to one of the host's addresses: answer in place. */
static size_t answer_ping(const struct host *h, uint8_t *frame, size_t len)
{
    uint8_t *ip = frame + ETH_HEADER;
    size_t ip_len = len - ETH_HEADER, reply = 0;
    uint16_t type = packet_get16(frame + 12);
    if (type == ETHERTYPE_IPV4 && ip_len >= PACKET_IPV4_HEADER &&
        memcmp(ip + 16, h->ipv4.addr, 4) == 0)
        reply = packet_ipv4_echo_reply(ip, ip_len);
    else if (type == ETHERTYPE_IPV6 && ip_len >= PACKET_IPV6_HEADER &&
             memcmp(ip + 24, h->ipv6.addr, 16) == 0)
        reply = packet_ipv6_echo_reply(ip, ip_len);
    if (reply == 0)
        return 0;
    memcpy(frame, frame + 6, 6);
    memcpy(frame + 6, h->mac, 6);
    return ETH_HEADER + reply;
}

static int serve(tun_device *dev, const struct host *h, unsigned long count,
                 unsigned long seconds)
{
    /* The largest IP packet plus an Ethernet header with a VLAN tag. */
    static uint8_t frame[TUN_MTU_MAX + 18], out[128];
    char what[160];
    example_deadline deadline;
    unsigned long answered = 0;
    example_deadline_start(&deadline, seconds);

    while (count == 0 || answered < count) {
        int n = tun_read_timeout(dev, frame, sizeof(frame),
                                 example_deadline_ms(&deadline));
        if (n == TUN_ETIMEDOUT || n == TUN_ECANCELED)
            break;
        if (n < 0)
            return example_fail("tun_read_timeout", n);
        if (n < ETH_HEADER)
            continue;

        const uint8_t *reply = frame;
        size_t len = (size_t)n;
        packet_describe(frame + ETH_HEADER, len - ETH_HEADER, what,
                        sizeof(what));
        if (packet_get16(frame + 12) == ETHERTYPE_ARP) {
            describe_arp(frame, len, what, sizeof(what));
            len = answer_arp(h, frame, len);
        } else if ((len = answer_ns(h, frame, (size_t)n, out)) > 0) {
            reply = out;
        } else if ((len = answer_ping(h, frame, (size_t)n)) > 0) {
            answered++;
        }
        if (len == 0)
            continue; /* someone else's traffic, e.g. router solicitation */
        int w = tun_write(dev, reply, len);
        if (w < 0)
            return example_fail("tun_write", w);
        printf("answered %s\n", what);
    }
    printf("answered %lu ping%s\n", answered, answered == 1 ? "" : "s");
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"ipv4", required_argument, NULL, '4'},
        {"ipv6", required_argument, NULL, '6'},
        {"host-ipv4", required_argument, NULL, 'a'},
        {"host-ipv6", required_argument, NULL, 'A'},
        {"host-mac", required_argument, NULL, 'M'},
        {"count", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *name = "tap%d", *ipv4 = "10.0.1.1/24", *ipv6 = "fd00:1::1/64";
    const char *host_ipv4 = "10.0.1.2", *host_ipv6 = "fd00:1::2";
    const char *host_mac = "02:00:00:00:00:02";
    unsigned long count = 0, seconds = 0;
    tun_address dev_ipv4, dev_ipv6;
    struct host host;
    tun_config *cfg = NULL;
    tun_device *dev = NULL;
    char ifname[TUN_NAME_MAX];
    int rc, opt;

    setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also to a pipe */
    while ((opt = getopt_long(argc, argv, "n:4:6:a:A:M:c:t:h", options,
                              NULL)) != -1) {
        switch (opt) {
        case 'n': name = optarg; break;
        case '4': ipv4 = optarg; break;
        case '6': ipv6 = optarg; break;
        case 'a': host_ipv4 = optarg; break;
        case 'A': host_ipv6 = optarg; break;
        case 'M': host_mac = optarg; break;
        case 'c':
            if (example_parse_count(optarg, &count) != 0)
                return EXAMPLE_EXIT_USAGE;
            break;
        case 't':
            if (example_parse_timeout(optarg, &seconds) != 0)
                return EXAMPLE_EXIT_USAGE;
            break;
        case 'h': return example_help(argv[0], help);
        default: return example_usage_error(argv[0]);
        }
    }
    if ((rc = example_no_operands(argc, argv, optind)) != 0)
        return rc;
    if (example_parse_address_family(ipv4, TUN_INET4, &dev_ipv4) != 0 ||
        example_parse_address_family(ipv6, TUN_INET6, &dev_ipv6) != 0 ||
        example_parse_address_family(host_ipv4, TUN_INET4, &host.ipv4) != 0 ||
        example_parse_address_family(host_ipv6, TUN_INET6, &host.ipv6) != 0 ||
        example_parse_mac(host_mac, host.mac) != 0)
        return EXAMPLE_EXIT_USAGE;

    rc = tun_config_new(&cfg);
    if (rc < 0)
        return example_fail("tun_config_new", rc);
    if ((rc = tun_config_set_name(cfg, name)) < 0) {
        tun_config_free(cfg);
        return example_fail_usage("--name", rc);
    }
    if ((rc = tun_config_set_layer(cfg, TUN_LAYER_L2)) < 0 ||
        (rc = tun_config_add_address(cfg, &dev_ipv4)) < 0 ||
        (rc = tun_config_add_address(cfg, &dev_ipv6)) < 0 ||
        (rc = tun_open(cfg, &dev)) < 0) {
        example_fail("configuring the TAP device", rc);
        tun_config_free(cfg);
        return 1;
    }
    tun_config_free(cfg);

    if (example_stop_on_signals(dev) != 0) {
        tun_close(dev);
        return 1;
    }
    if (tun_device_get_name(dev, ifname, sizeof(ifname)) < 0)
        ifname[0] = '\0';
    printf("%s: host %s %s at %s; try: ping %s\n", ifname, host_ipv4,
           host_ipv6, host_mac, host_ipv4);
    int status = serve(dev, &host, count, seconds);
    example_stop_handling_signals();
    tun_close(dev);
    return status;
}
