/* COMPATIBILITY HEADER for SDKs without Apple's private-but-stable network
 * headers (the macOS headers that zig ships for the compile check lack
 * them; Xcode's SDK has some). Each block defines only what libtun uses,
 * following the documented XNU interface: when the real header exists it
 * is used instead, and names of our own (TUN_ prefix) are used where no
 * system header declares the item at all. Nothing here is libtun's
 * invention; each value is the kernel's ABI. */
#ifndef TUN_DARWIN_COMPAT_H
#define TUN_DARWIN_COMPAT_H

#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <net/if.h>
#include <netinet/in.h>

/* <sys/sys_domain.h>: the PF_SYSTEM protocol and address of kernel
 * control sockets. */
#if __has_include(<sys/sys_domain.h>)
#include <sys/sys_domain.h>
#else
#define SYSPROTO_CONTROL 2
#define AF_SYS_CONTROL 2
#endif

/* <sys/kern_control.h>: naming and addressing a kernel control. Xcode's
 * iOS and tvOS SDKs do not ship it (VPN apps declare these themselves). */
#if __has_include(<sys/kern_control.h>)
#include <sys/kern_control.h>
#else
#define MAX_KCTL_NAME 96
struct ctl_info {
    uint32_t ctl_id;
    char ctl_name[MAX_KCTL_NAME];
};
struct sockaddr_ctl {
    unsigned char sc_len;
    unsigned char sc_family;
    uint16_t ss_sysaddr;
    uint32_t sc_id;
    uint32_t sc_unit;
    uint32_t sc_reserved[5];
};
#define CTLIOCGINFO _IOWR('N', 3, struct ctl_info)
#endif

/* <net/route.h>: the routing socket's message header (src/bsd/ifconfig.c
 * adds subnet routes with it). Not in the iOS and tvOS SDKs since Xcode 9. */
#if __has_include(<net/route.h>)
#include <net/route.h>
#else
struct rt_msghdr {
    unsigned short rtm_msglen;
    unsigned char rtm_version;
    unsigned char rtm_type;
    unsigned short rtm_index;
    int rtm_flags;
    int rtm_addrs;
    pid_t rtm_pid;
    int rtm_seq;
    int rtm_errno;
    int rtm_use;
    uint32_t rtm_inits;
    uint32_t rtm_rmx[14]; /* struct rt_metrics: 14 32-bit fields */
};
#define RTM_VERSION 5
#define RTM_ADD 0x1
#define RTM_DELETE 0x2
#define RTF_UP 0x1
#define RTF_STATIC 0x800
#define RTA_DST 0x1
#define RTA_GATEWAY 0x2
#define RTA_NETMASK 0x4
#endif

/* <net/if_utun.h> (not in the public SDK): the utun kernel control. */
#if __has_include(<net/if_utun.h>)
#include <net/if_utun.h>
#else
#define UTUN_CONTROL_NAME "com.apple.net.utun_control"
#define UTUN_OPT_IFNAME 2
#endif

/* <netinet6/in6_var.h>: IPv6 address ioctls (KAME). */
#if __has_include(<netinet6/in6_var.h>)
#include <net/if_var.h>
#include <netinet6/in6_var.h>
#else
struct in6_addrlifetime {
    time_t ia6t_expire;
    time_t ia6t_preferred;
    uint32_t ia6t_vltime;
    uint32_t ia6t_pltime;
};
struct in6_aliasreq {
    char ifra_name[IFNAMSIZ];
    struct sockaddr_in6 ifra_addr;
    struct sockaddr_in6 ifra_dstaddr;
    struct sockaddr_in6 ifra_prefixmask;
    int ifra_flags;
    struct in6_addrlifetime ifra_lifetime;
};
/* Its largest member, struct icmp6_ifstat (34 64-bit counters), sets the
 * size that SIOCDIFADDR_IN6 encodes; libtun uses only ifru_addr. */
struct in6_ifreq {
    char ifr_name[IFNAMSIZ];
    union {
        struct sockaddr_in6 ifru_addr;
        uint64_t ifru_icmp6stat_space[34];
    } ifr_ifru;
};
#define SIOCDIFADDR_IN6 _IOW('i', 25, struct in6_ifreq)
#define SIOCAIFADDR_IN6 _IOW('i', 26, struct in6_aliasreq)
#define IN6_IFF_NODAD 0x0020
#endif

/* <net/if.h> keeps struct ifdrv private; SIOCSDRVSPEC carries it. */
struct tun_darwin_ifdrv {
    char ifd_name[IFNAMSIZ];
    unsigned long ifd_cmd;
    size_t ifd_len;
    void *ifd_data;
};
#define TUN_DARWIN_SIOCSDRVSPEC _IOW('i', 123, struct tun_darwin_ifdrv)

/* <net/if_fake_var.h> (private): pairing two feth interfaces. */
#define TUN_IF_FAKE_S_CMD_SET_PEER 1
struct tun_if_fake_request {
    uint64_t iffr_reserved[4];
    union {
        char iffru_buf[128]; /* the kernel's fixed size */
        char iffru_peer_name[IFNAMSIZ];
    } iffr_u;
};

/* <net/if_types.h>: the SNMP interface type of Ethernet. */
#if __has_include(<net/if_types.h>)
#include <net/if_types.h>
#else
#define IFT_ETHER 0x6
#endif

/* <net/ndrv.h>: raw frames out of an interface. */
#if __has_include(<net/ndrv.h>)
#include <net/ndrv.h>
#else
struct sockaddr_ndrv {
    unsigned char snd_len;
    unsigned char snd_family;
    unsigned char snd_name[IFNAMSIZ];
};
#endif

/* <net/bpf.h>: frames in from an interface. */
#if __has_include(<net/bpf.h>)
#include <net/bpf.h>
#else
struct bpf_timeval32 {
    int32_t tv_sec;
    int32_t tv_usec;
};
struct bpf_hdr {
    struct bpf_timeval32 bh_tstamp;
    uint32_t bh_caplen;
    uint32_t bh_datalen;
    unsigned short bh_hdrlen;
};
#define BPF_ALIGNMENT sizeof(int32_t)
#define BPF_WORDALIGN(x) (((x) + (BPF_ALIGNMENT - 1)) & ~(BPF_ALIGNMENT - 1))
#define BIOCSBLEN _IOWR('B', 102, unsigned int)
#define BIOCPROMISC _IO('B', 105)
#define BIOCSETIF _IOW('B', 108, struct ifreq)
#define BIOCIMMEDIATE _IOW('B', 112, unsigned int)
#define BIOCSHDRCMPLT _IOW('B', 117, unsigned int)
#define BIOCSSEESENT _IOW('B', 119, unsigned int)
#endif

/* The request numbers encode the structure sizes; these are XNU's values
 * for 64-bit processes (the only ones macOS and iOS still run). */
#if defined(__LP64__)
_Static_assert(SIOCAIFADDR_IN6 == 0x8080691aUL, "struct in6_aliasreq size");
_Static_assert(SIOCDIFADDR_IN6 == 0x81206919UL, "struct in6_ifreq size");
_Static_assert(TUN_DARWIN_SIOCSDRVSPEC == 0x8028697bUL, "struct ifdrv size");
_Static_assert(sizeof(struct tun_if_fake_request) == 160,
               "struct if_fake_request size");
_Static_assert(sizeof(struct bpf_hdr) == 20, "struct bpf_hdr size");
#endif
/* The same with or without the SDK's header (no pointers in them). */
_Static_assert(CTLIOCGINFO == 0xc0644e03UL, "struct ctl_info size");
_Static_assert(sizeof(struct sockaddr_ctl) == 32, "struct sockaddr_ctl size");
_Static_assert(sizeof(struct rt_msghdr) == 92, "struct rt_msghdr size");

#endif
