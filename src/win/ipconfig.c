/* Everything configured on the interface, through the IP Helper API, keyed
 * by the interface LUID (the index may change while the adapter lives). */
#include "device.h"
#include "../iface.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

static void tun_ip_sockaddr(uint8_t family, const uint8_t *bytes,
                            SOCKADDR_INET *sa)
{
    memset(sa, 0, sizeof(*sa));
    if (family == TUN_INET4) {
        sa->Ipv4.sin_family = AF_INET;
        memcpy(&sa->Ipv4.sin_addr, bytes, 4);
    } else {
        sa->Ipv6.sin6_family = AF_INET6;
        memcpy(&sa->Ipv6.sin6_addr, bytes, 16);
    }
}

void tun_ip_route_row(const NET_LUID *luid, const tun_route *r,
                      MIB_IPFORWARD_ROW2 *row)
{
    static const uint8_t unspecified[16];
    InitializeIpForwardEntry(row);
    row->InterfaceLuid = *luid;
    tun_ip_sockaddr(r->family, r->dest, &row->DestinationPrefix.Prefix);
    row->DestinationPrefix.PrefixLength = r->prefix;
    tun_ip_sockaddr(r->family, r->has_gateway ? r->gateway : unspecified,
                    &row->NextHop);
    row->Metric = r->metric;
    row->Protocol = MIB_IPPROTO_NETMGMT;
}

static const char *tun_ip_text(const tun_address *a, char text[TUN_ADDRSTRLEN])
{
    if (tun_address_format(a, text, TUN_ADDRSTRLEN) < 0)
        strcpy(text, "?");
    return text;
}

/* ---- MTU and metric: the IP interface of each family --------------------- */

/* Read the family's IP interface; ERROR_NOT_FOUND when the family does not
 * run on the interface. */
static DWORD tun_ip_interface(const NET_LUID *luid, ADDRESS_FAMILY family,
                              MIB_IPINTERFACE_ROW *row)
{
    InitializeIpInterfaceEntry(row);
    row->Family = family;
    row->InterfaceLuid = *luid;
    return GetIpInterfaceEntry(row);
}

/* One walk of the IP interface table: the MTU of each family on the
 * interface (0: the family does not run there) and, in *in_system when
 * asked for, the families the system runs (TUN_WIN_FAMILY_*): those of
 * its interfaces but the loopback, which keeps IPv6 when an administrator
 * turns it off everywhere else (DisabledComponents), or the loopback's when
 * there is no other interface. From the table rather than
 * GetIpInterfaceEntry(): the same rows, and ERROR_NOT_SUPPORTED (no IP
 * transport configured) or ERROR_NOT_FOUND (no rows) mean that no family
 * runs here. Wine answers so: its IP Helper has no IP interface rows, and
 * the write path runs under wine too. */
static int tun_ip_interfaces(const NET_LUID *luid, unsigned *ipv4,
                             unsigned *ipv6, unsigned *in_system)
{
    MIB_IPINTERFACE_TABLE *table;
    unsigned families = 0, loopback = 0;
    *ipv4 = *ipv6 = 0;
    DWORD err = GetIpInterfaceTable(AF_UNSPEC, &table);
    if (err != NO_ERROR && err != ERROR_NOT_SUPPORTED &&
        err != ERROR_NOT_FOUND)
        return tun_win_fail(err, "GetIpInterfaceTable");
    for (ULONG i = 0; err == NO_ERROR && i < table->NumEntries; i++) {
        const MIB_IPINTERFACE_ROW *row = &table->Table[i];
        bool v4 = row->Family == AF_INET;
        unsigned family = v4 ? TUN_WIN_FAMILY_IPV4 : TUN_WIN_FAMILY_IPV6;
        if (row->InterfaceLuid.Info.IfType == IF_TYPE_SOFTWARE_LOOPBACK)
            loopback |= family;
        else
            families |= family;
        if (row->InterfaceLuid.Value == luid->Value)
            *(v4 ? ipv4 : ipv6) = row->NlMtu;
    }
    if (err == NO_ERROR)
        FreeMibTable(table);
    if (in_system)
        *in_system = families ? families : loopback;
    return 0;
}

int tun_ip_get_mtus(const NET_LUID *luid, unsigned *ipv4, unsigned *ipv6)
{
    return tun_ip_interfaces(luid, ipv4, ipv6, NULL);
}

static VOID WINAPI tun_ip_on_interface(PVOID changed, PMIB_IPINTERFACE_ROW row,
                                       MIB_NOTIFICATION_TYPE type)
{
    (void)row, (void)type;
    SetEvent(changed);
}

/* Where the wait for the interface's IP families stands (see
 * tun_win_bind_state_of()), start being when it began; *first is set when
 * a family first shows, *on_adapter to the families there. */
static int tun_ip_bind_state(const NET_LUID *luid, ULONGLONG start,
                             ULONGLONG *first, unsigned *on_adapter,
                             tun_win_bind_state *state)
{
    unsigned ipv4, ipv6, in_system;
    int rc = tun_ip_interfaces(luid, &ipv4, &ipv6, &in_system);
    if (rc < 0)
        return rc;
    *on_adapter = (ipv4 ? TUN_WIN_FAMILY_IPV4 : 0) |
                  (ipv6 ? TUN_WIN_FAMILY_IPV6 : 0);
    ULONGLONG now = GetTickCount64();
    if (*on_adapter && !*first)
        *first = now;
    *state = tun_win_bind_state_of(*on_adapter, in_system, now - start,
                                   *on_adapter ? *first - start : 0);
    return 0;
}

int tun_ip_wait_bound(const NET_LUID *luid)
{
    ULONGLONG start = GetTickCount64(), first = 0;
    unsigned on_adapter;
    tun_win_bind_state state;
    int rc = tun_ip_bind_state(luid, start, &first, &on_adapter, &state);
    if (rc < 0 || state == TUN_WIN_BOUND)
        return rc;
    /* Woken by every IP interface change (an auto-reset event), and
     * checked again after registering, so that a change just before is
     * seen; the wait is bounded so that the deadlines are seen too. */
    HANDLE changed = CreateEventW(NULL, FALSE, FALSE, NULL), notify = NULL;
    if (!changed)
        return tun_win_fail(GetLastError(), "CreateEvent for the adapter's "
                            "IP interfaces");
    DWORD err = NotifyIpInterfaceChange(AF_UNSPEC, tun_ip_on_interface,
                                        changed, FALSE, &notify);
    if (err != NO_ERROR) /* the bounded wait below looks anyway */
        tun_log(TUN_LOG_DEBUG, "NotifyIpInterfaceChange: error %lu; looking "
                "every 100 ms instead", (unsigned long)err);
    tun_log(TUN_LOG_DEBUG, "waiting for the system to bind IPv4 and IPv6 to "
            "the new adapter");
    while (rc == 0 &&
           (rc = tun_ip_bind_state(luid, start, &first, &on_adapter,
                                   &state)) == 0 &&
           state == TUN_WIN_BIND_WAIT)
        WaitForSingleObject(changed, 100);
    if (notify)
        CancelMibChangeNotify2(notify); /* waits for a callback running */
    CloseHandle(changed);
    if (rc < 0)
        return rc;
    if (state == TUN_WIN_BIND_NONE)
        return tun_fail(TUN_ETIMEDOUT, "the system bound neither IPv4 nor "
                        "IPv6 to the new adapter within %u ms (check the "
                        "protocols bound to it in its properties)",
                        TUN_WIN_BIND_FIRST_MS);
    if (state == TUN_WIN_BIND_PARTIAL)
        tun_log(TUN_LOG_INFO, "the new adapter runs %s only: the system did "
                "not bind %s to it within %u ms",
                on_adapter == TUN_WIN_FAMILY_IPV4 ? "IPv4" : "IPv6",
                on_adapter == TUN_WIN_FAMILY_IPV4 ? "IPv6" : "IPv4",
                TUN_WIN_BIND_REST_MS);
    return 0;
}

/* The interface's row of the interface table (not of an IP family). */
static int tun_ip_if_row(const NET_LUID *luid, MIB_IF_ROW2 *row)
{
    memset(row, 0, sizeof(*row));
    row->InterfaceLuid = *luid;
    DWORD err = GetIfEntry2(row);
    return err == NO_ERROR ? 0 : tun_win_fail(err, "GetIfEntry2");
}

int tun_ip_get_mtu(const NET_LUID *luid, unsigned *mtu)
{
    unsigned ipv4, ipv6;
    int rc = tun_ip_get_mtus(luid, &ipv4, &ipv6);
    if (rc < 0)
        return rc;
    if (ipv4 || ipv6) {
        *mtu = ipv4 ? ipv4 : ipv6;
        return 0;
    }
    /* An adapter with neither IP protocol bound (a TAP adapter bridged at
     * layer 2) still has its link's MTU; only a missing adapter fails. */
    MIB_IF_ROW2 row;
    if ((rc = tun_ip_if_row(luid, &row)) < 0)
        return rc;
    *mtu = row.Mtu;
    return 0;
}

/* Change the IP interface of IPv4, IPv6 or both the same way; a family
 * that does not run on the interface is skipped. */
static int tun_ip_set_interface(const NET_LUID *luid, bool ipv4, bool ipv6,
                                bool mtu_change, unsigned value)
{
    const bool wanted[2] = {ipv4, ipv6};
    static const ADDRESS_FAMILY families[2] = {AF_INET, AF_INET6};
    int done = 0;
    for (int i = 0; i < 2; i++) {
        if (!wanted[i])
            continue;
        MIB_IPINTERFACE_ROW row;
        DWORD err = tun_ip_interface(luid, families[i], &row);
        if (err == ERROR_NOT_FOUND)
            continue;
        if (err != NO_ERROR)
            return tun_win_fail(err, "GetIpInterfaceEntry");
        if (mtu_change) {
            row.NlMtu = value;
        } else {
            row.Metric = value;
            row.UseAutomaticMetric = value == 0;
        }
        /* Set calls refuse an IPv4 row that carries a site prefix. */
        if (families[i] == AF_INET)
            row.SitePrefixLength = 0;
        err = SetIpInterfaceEntry(&row);
        if (err != NO_ERROR)
            return tun_win_fail(err, "SetIpInterfaceEntry (%s %u, %s)",
                                mtu_change ? "MTU" : "metric", value,
                                families[i] == AF_INET ? "IPv4" : "IPv6");
        done++;
    }
    if (done == 0 && !ipv4)
        return tun_fail(TUN_ENOTSUP, "IPv6 does not run on the interface");
    /* Only IPv4 was asked for (an MTU below IPv6's minimum): the interface
     * may well run IPv6. */
    if (done == 0 && !ipv6)
        return tun_fail(TUN_ERANGE, "IPv4 does not run on the interface and "
                        "%u is below %d, the IPv6 minimum", value,
                        TUN_MTU_MIN_IPV6);
    if (done == 0)
        return tun_fail(TUN_ENODEV, "the interface runs neither IPv4 nor "
                        "IPv6");
    return 0;
}

int tun_ip_set_mtu(const NET_LUID *luid, unsigned mtu)
{
    /* IPv6 needs 1280: a smaller MTU is applied to IPv4 only. */
    return tun_ip_set_interface(luid, true, mtu >= TUN_MTU_MIN_IPV6, true,
                                mtu);
}

int tun_ip_set_ipv6_mtu(const NET_LUID *luid, unsigned mtu)
{
    return tun_ip_set_interface(luid, false, true, true, mtu);
}

int tun_ip_set_metric(const NET_LUID *luid, unsigned metric)
{
    return tun_ip_set_interface(luid, true, true, false, metric);
}

/* ---- addresses and peer routes ------------------------------------------ */

int tun_ip_list(const NET_LUID *luid, tun_address *out, size_t capacity,
                size_t *count)
{
    MIB_UNICASTIPADDRESS_TABLE *table;
    DWORD err = GetUnicastIpAddressTable(AF_UNSPEC, &table);
    if (err != NO_ERROR)
        return tun_win_fail(err, "GetUnicastIpAddressTable");
    size_t n = 0;
    for (ULONG i = 0; i < table->NumEntries; i++) {
        const MIB_UNICASTIPADDRESS_ROW *row = &table->Table[i];
        if (row->InterfaceLuid.Value != luid->Value)
            continue;
        if (n < capacity) {
            tun_address *a = &out[n];
            memset(a, 0, sizeof(*a));
            if (row->Address.si_family == AF_INET) {
                a->family = TUN_INET4;
                memcpy(a->addr, &row->Address.Ipv4.sin_addr, 4);
            } else {
                a->family = TUN_INET6;
                memcpy(a->addr, &row->Address.Ipv6.sin6_addr, 16);
            }
            a->prefix = row->OnLinkPrefixLength;
        }
        n++;
    }
    FreeMibTable(table);
    *count = n;
    return n > capacity ? TUN_ENOBUFS : 0;
}

/* The route to a peer: its prefix, on-link (no next hop). */
static void tun_ip_peer_route(const NET_LUID *luid, const tun_address *a,
                              MIB_IPFORWARD_ROW2 *route)
{
    tun_address peer = *a;
    memcpy(peer.addr, a->peer, sizeof(peer.addr));
    tun_route r;
    memset(&r, 0, sizeof(r));
    r.family = a->family;
    r.prefix = a->prefix;
    tun_iface_network(&peer, r.dest);
    tun_ip_route_row(luid, &r, route);
}

static void tun_ip_address_row(const NET_LUID *luid, const tun_address *a,
                               MIB_UNICASTIPADDRESS_ROW *row)
{
    InitializeUnicastIpAddressEntry(row);
    row->InterfaceLuid = *luid;
    tun_ip_sockaddr(a->family, a->addr, &row->Address);
}

int tun_ip_add(const NET_LUID *luid, const tun_address *a, bool *route_made)
{
    char text[TUN_ADDRSTRLEN];
    MIB_UNICASTIPADDRESS_ROW row;
    tun_ip_address_row(luid, a, &row);
    /* Windows has no point-to-point address: with a peer the address is a
     * host address and the peer gets the route, as Linux makes it. */
    unsigned host = a->family == TUN_INET4 ? 32 : 128;
    row.OnLinkPrefixLength = (UINT8)(a->has_peer ? host : a->prefix);
    row.DadState = IpDadStatePreferred;
    DWORD err = CreateUnicastIpAddressEntry(&row);
    if (err != NO_ERROR)
        return tun_win_fail(err, "CreateUnicastIpAddressEntry %s",
                            tun_ip_text(a, text));
    *route_made = false;
    if (!a->has_peer)
        return 0;
    MIB_IPFORWARD_ROW2 route;
    tun_ip_peer_route(luid, a, &route);
    err = CreateIpForwardEntry2(&route);
    if (err != NO_ERROR && err != ERROR_OBJECT_ALREADY_EXISTS) {
        DeleteUnicastIpAddressEntry(&row);
        return tun_win_fail(err, "CreateIpForwardEntry2 to the peer of %s",
                            tun_ip_text(a, text));
    }
    *route_made = err == NO_ERROR;
    return 0;
}

int tun_ip_remove(const NET_LUID *luid, const tun_address *a)
{
    char text[TUN_ADDRSTRLEN];
    MIB_UNICASTIPADDRESS_ROW row;
    tun_ip_address_row(luid, a, &row);
    DWORD err = DeleteUnicastIpAddressEntry(&row);
    if (err == ERROR_NOT_FOUND || err == ERROR_FILE_NOT_FOUND)
        return tun_fail(TUN_EADDRNOTAVAIL, "DeleteUnicastIpAddressEntry %s: "
                        "not on the interface", tun_ip_text(a, text));
    if (err != NO_ERROR)
        return tun_win_fail(err, "DeleteUnicastIpAddressEntry %s",
                            tun_ip_text(a, text));
    if (a->has_peer) {
        MIB_IPFORWARD_ROW2 route;
        tun_ip_peer_route(luid, a, &route);
        err = DeleteIpForwardEntry2(&route);
        if (err != NO_ERROR && err != ERROR_NOT_FOUND)
            return tun_win_fail(err, "DeleteIpForwardEntry2 to the peer of %s",
                                tun_ip_text(a, text));
    }
    return 0;
}

/* ---- DNS servers ---------------------------------------------------------- */

/* SetInterfaceDnsSettings (Windows 10 2004 and later) and its settings,
 * declared from the documentation: older SDKs, and mingw-w64, lack them. */
typedef struct tun_dns_settings {
    ULONG Version;
    ULONG64 Flags;
    PWSTR Domain;
    PWSTR NameServer;
    PWSTR SearchList;
    ULONG RegistrationEnabled;
    ULONG RegisterAdapterName;
    ULONG EnableLLMNR;
    ULONG QueryAdapterName;
    PWSTR ProfileNameServer;
} tun_dns_settings;
#define TUN_DNS_SETTINGS_VERSION1 1
#define TUN_DNS_SETTING_IPV6 0x0001
#define TUN_DNS_SETTING_NAMESERVER 0x0002
typedef DWORD(WINAPI tun_set_dns_fn)(GUID iface,
                                     const tun_dns_settings *settings);

static int tun_ip_guid(const NET_LUID *luid, GUID *guid)
{
    DWORD err = ConvertInterfaceLuidToGuid(luid, guid);
    return err == NO_ERROR ? 0
                           : tun_win_fail(err, "ConvertInterfaceLuidToGuid");
}

/* The registry key of the family's TCP/IP parameters of the interface,
 * whose NameServer value holds its static DNS servers: as text for the
 * reasons, and wide. */
#define TUN_IP_DNS_KEY 160
static int tun_ip_dns_key(const GUID *guid, uint8_t family,
                          char key[TUN_IP_DNS_KEY],
                          WCHAR wide_key[TUN_IP_DNS_KEY])
{
    tun_win_guid g;
    memcpy(&g, guid, sizeof(g));
    char guid_text[TUN_WIN_GUID_TEXT];
    tun_win_guid_format(&g, guid_text);
    snprintf(key, TUN_IP_DNS_KEY,
             "SYSTEM\\CurrentControlSet\\Services\\%s\\Parameters\\"
             "Interfaces\\%s",
             family == TUN_INET6 ? "Tcpip6" : "Tcpip", guid_text);
    return tun_win_widen(key, wide_key, TUN_IP_DNS_KEY, "registry key");
}

/* Write one family's server list (possibly empty) on the interface. */
static int tun_ip_set_dns_family(const GUID *guid, uint8_t family,
                                 const char *list)
{
    WCHAR wide[TUN_WIN_DNS_TEXT];
    int rc = tun_win_widen(list, wide, TUN_WIN_DNS_TEXT, "DNS server list");
    if (rc < 0)
        return rc;
    bool ipv6 = family == TUN_INET6;
    HMODULE iphlpapi = GetModuleHandleW(L"iphlpapi.dll");
    tun_set_dns_fn *set_dns =
        iphlpapi ? (tun_set_dns_fn *)(void (*)(void))GetProcAddress(
                       iphlpapi, "SetInterfaceDnsSettings")
                 : NULL;
    if (set_dns) {
        tun_dns_settings s;
        memset(&s, 0, sizeof(s));
        s.Version = TUN_DNS_SETTINGS_VERSION1;
        s.Flags = TUN_DNS_SETTING_NAMESERVER | (ipv6 ? TUN_DNS_SETTING_IPV6 : 0);
        s.NameServer = wide;
        DWORD err = set_dns(*guid, &s);
        if (err != NO_ERROR)
            return tun_win_fail(err, "SetInterfaceDnsSettings (%s)",
                                ipv6 ? "IPv6" : "IPv4");
        return 0;
    }
    /* Older Windows: the TCP/IP service's per-interface NameServer value,
     * which is what the network settings dialog writes. */
    char key[TUN_IP_DNS_KEY];
    WCHAR wide_key[TUN_IP_DNS_KEY];
    if ((rc = tun_ip_dns_key(guid, family, key, wide_key)) < 0)
        return rc;
    DWORD bytes = (DWORD)((wcslen(wide) + 1) * sizeof(WCHAR));
    LSTATUS st = RegSetKeyValueW(HKEY_LOCAL_MACHINE, wide_key, L"NameServer",
                                 REG_SZ, wide, bytes);
    if (st != ERROR_SUCCESS)
        return tun_win_fail((DWORD)st, "writing NameServer under HKLM\\%s",
                            key);
    return 0;
}

int tun_ip_set_dns(const NET_LUID *luid, const tun_address *servers,
                   size_t count)
{
    GUID guid;
    int rc = tun_ip_guid(luid, &guid);
    for (int i = 0; rc == 0 && i < 2; i++) {
        /* A family without a server gets an empty list: the call replaces
         * the interface's servers, so an earlier call's servers of that
         * family must not stay. */
        char list[TUN_WIN_DNS_TEXT];
        rc = tun_win_dns_list(servers, count, tun_win_families[i], list,
                              sizeof(list));
        if (rc >= 0)
            rc = tun_ip_set_dns_family(&guid, tun_win_families[i], list);
    }
    return rc;
}

int tun_ip_set_dns_text(const NET_LUID *luid, uint8_t family,
                        const char *list)
{
    GUID guid;
    int rc = tun_ip_guid(luid, &guid);
    return rc < 0 ? rc : tun_ip_set_dns_family(&guid, family, list);
}

/* From the family's NameServer value, the static servers the settings
 * dialog and the fallback above write (and, unverified, where
 * SetInterfaceDnsSettings keeps them). Not GetInterfaceDnsSettings: it takes
 * no family (its Flags must be empty), so IPv6's list cannot be asked for. */
int tun_ip_get_dns_text(const NET_LUID *luid, uint8_t family, char *out,
                        size_t size)
{
    GUID guid;
    char key[TUN_IP_DNS_KEY];
    WCHAR wide_key[TUN_IP_DNS_KEY], wide[TUN_WIN_DNS_TEXT];
    int rc = tun_ip_guid(luid, &guid);
    if (rc == 0)
        rc = tun_ip_dns_key(&guid, family, key, wide_key);
    if (rc < 0)
        return rc;
    DWORD bytes = sizeof(wide);
    LSTATUS st = RegGetValueW(HKEY_LOCAL_MACHINE, wide_key, L"NameServer",
                              RRF_RT_REG_SZ, NULL, wide, &bytes);
    if (st == ERROR_FILE_NOT_FOUND) {
        out[0] = '\0'; /* no key or no value: no static server */
        return 0;
    }
    if (st == ERROR_MORE_DATA)
        return tun_fail(TUN_ENOBUFS, "NameServer under HKLM\\%s is longer "
                        "than libtun can keep to put back (%d characters)",
                        key, TUN_WIN_DNS_TEXT - 1);
    if (st != ERROR_SUCCESS)
        return tun_win_fail((DWORD)st, "reading NameServer under HKLM\\%s",
                            key);
    return tun_win_narrow(wide, out, size);
}

/* ---- identity and state --------------------------------------------------- */

int tun_ip_get_name(const NET_LUID *luid, char *buf, size_t size)
{
    WCHAR alias[NDIS_IF_MAX_STRING_SIZE + 1];
    DWORD err = ConvertInterfaceLuidToAlias(luid, alias,
                                            NDIS_IF_MAX_STRING_SIZE + 1);
    if (err != NO_ERROR)
        return tun_win_fail(err, "ConvertInterfaceLuidToAlias");
    return tun_win_narrow(alias, buf, size);
}

int tun_ip_get_index(const NET_LUID *luid, unsigned *index)
{
    NET_IFINDEX i;
    DWORD err = ConvertInterfaceLuidToIndex(luid, &i);
    if (err != NO_ERROR)
        return tun_win_fail(err, "ConvertInterfaceLuidToIndex");
    *index = i;
    return 0;
}

int tun_ip_get_up(const NET_LUID *luid, bool *up)
{
    MIB_IF_ROW2 row;
    int rc = tun_ip_if_row(luid, &row);
    if (rc == 0)
        *up = row.OperStatus == IfOperStatusUp;
    return rc;
}
