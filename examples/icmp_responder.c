/*
 * icmp_responder: a TUN device that answers ping, IPv4 and IPv6.
 *
 * The device gets an address with a prefix, so the kernel routes the whole
 * subnet into it. A ping to any other address of that subnet arrives here as
 * an ICMP echo request; the program turns it into the echo reply (addresses
 * swapped, checksums fixed) and writes it back, and ping sees an answer.
 * (A ping to the device's own address never reaches the program: the kernel
 * answers that one itself.)
 *
 * Run as root (or with CAP_NET_ADMIN), then ping from another terminal:
 *   sudo ./icmp_responder                      # 10.0.0.1/24 and fd00::1/64
 *   ping 10.0.0.2
 *   ping fd00::2
 * Options: see `help` below (or run it with --help). Ctrl-C stops it; the
 * device disappears when the program exits.
 */
#include <getopt.h>
#include <stdio.h>

#include "common/example.h"
#include "common/packet.h"

static const char help[] =
    "[-n NAME] [-4 ADDR/PREFIX]... [-6 ADDR/PREFIX]...\n"
    "          [-m MTU] [-c COUNT] [-t SECONDS]\n"
    "Answers ping to every other address of the TUN device's subnets.\n"
    "Ctrl-C stops it.\n"
    "  -n, --name NAME        interface name or pattern (default: tun%d)\n"
    "  -4, --ipv4 A/P         IPv4 address with prefix, repeatable\n"
    "                         (default, with no -4 or -6: 10.0.0.1/24)\n"
    "  -6, --ipv6 A/P         IPv6 address with prefix, repeatable\n"
    "                         (default, with no -4 or -6: fd00::1/64)\n"
    "  -m, --mtu N            MTU, 68 to 65535 (1280 or more with IPv6)\n"
    "  -c, --count N          stop after answering N pings\n"
    "  -t, --timeout S        stop after S seconds\n"
    "  -h, --help             this text\n"
    "Exit status: 0 done, 1 a run-time failure, 2 a usage error.\n";

/* Print "tun0: answering ping to other addresses of 10.0.0.1/24 ...". */
static void print_ready(tun_device *dev)
{
    char name[TUN_NAME_MAX], text[TUN_ADDRSTRLEN];
    tun_address addrs[16]; /* enough to show; more are left out */
    const size_t capacity = sizeof(addrs) / sizeof(addrs[0]);
    size_t count = 0;
    if (tun_device_get_name(dev, name, sizeof(name)) < 0)
        name[0] = '\0';
    int rc = tun_device_get_addresses(dev, addrs, capacity, &count);
    if (rc < 0 && rc != TUN_ENOBUFS)
        count = 0;
    printf("%s: answering ping to other addresses of", name);
    for (size_t i = 0; i < count && i < capacity; i++) {
        bool link_local = addrs[i].family == TUN_INET6 &&
                          addrs[i].addr[0] == 0xfe &&
                          (addrs[i].addr[1] & 0xc0) == 0x80;
        if (!link_local &&
            tun_address_format(&addrs[i], text, sizeof(text)) > 0)
            printf(" %s", text);
    }
    printf("\n");
}

/* Answer echo requests until the count, the deadline or a signal. */
static int serve(tun_device *dev, unsigned long count, unsigned long seconds)
{
    static uint8_t buf[TUN_MTU_MAX];
    char what[160];
    example_deadline deadline;
    unsigned long answered = 0;
    example_deadline_start(&deadline, seconds);

    while (count == 0 || answered < count) {
        int n = tun_read_timeout(dev, buf, sizeof(buf),
                                 example_deadline_ms(&deadline));
        if (n == TUN_ETIMEDOUT || n == TUN_ECANCELED)
            break;
        if (n < 0)
            return example_fail("tun_read_timeout", n);

        packet_describe(buf, (size_t)n, what, sizeof(what));
        size_t reply = packet_echo_reply(buf, (size_t)n);
        if (reply == 0) {
            printf("ignored %s\n", what); /* e.g. IPv6 router solicitation */
            continue;
        }
        int w = tun_write(dev, buf, reply);
        if (w < 0)
            return example_fail("tun_write", w);
        answered++;
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
        {"mtu", required_argument, NULL, 'm'},
        {"count", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long count = 0, seconds = 0;
    unsigned mtu;
    bool have_address = false;
    tun_config *cfg = NULL;
    tun_device *dev = NULL;
    int status, rc, opt;

    setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also to a pipe */
    rc = tun_config_new(&cfg);
    if (rc < 0)
        return example_fail("tun_config_new", rc);

    /* Until the options are all read, a failure is a usage error. */
    status = EXAMPLE_EXIT_USAGE;
    while ((opt = getopt_long(argc, argv, "n:4:6:m:c:t:h", options, NULL)) !=
           -1) {
        switch (opt) {
        case 'n':
            rc = tun_config_set_name(cfg, optarg);
            if (rc < 0) {
                example_fail("--name", rc);
                goto out;
            }
            break;
        case '4':
        case '6':
            if (example_add_address(cfg, optarg, opt == '4' ? 4 : 6) != 0)
                goto out;
            have_address = true;
            break;
        case 'm':
            if (example_parse_mtu(optarg, &mtu) != 0)
                goto out;
            rc = tun_config_set_mtu(cfg, mtu);
            if (rc < 0) {
                example_fail("--mtu", rc);
                goto out;
            }
            break;
        case 'c':
            if (example_parse_count(optarg, &count) != 0)
                goto out;
            break;
        case 't':
            if (example_parse_timeout(optarg, &seconds) != 0)
                goto out;
            break;
        case 'h':
            status = example_help(argv[0], help);
            goto out;
        default:
            status = example_usage_error(argv[0]);
            goto out;
        }
    }
    if (example_no_operands(argc, argv, optind) != 0)
        goto out;
    if (!have_address &&
        (example_add_address(cfg, "10.0.0.1/24", 4) != 0 ||
         example_add_address(cfg, "fd00::1/64", 6) != 0))
        goto out;

    status = EXAMPLE_EXIT_FAILURE;
    rc = tun_open(cfg, &dev);
    if (rc < 0) {
        example_fail("tun_open", rc);
        goto out;
    }
    if (example_stop_on_signals(dev) != 0)
        goto out;
    print_ready(dev);
    status = serve(dev, count, seconds);

out:
    example_stop_handling_signals();
    tun_close(dev);
    tun_config_free(cfg);
    return status;
}
