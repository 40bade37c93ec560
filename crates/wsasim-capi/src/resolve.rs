//! Names and address text over the simulated world: `getaddrinfo`, `freeaddrinfo`,
//! `inet_pton`, `inet_ntop`.
//!
//! `getaddrinfo` asks no DNS: it resolves a NULL node (the wildcard address with
//! `AI_PASSIVE`, loopback without), `localhost`, numeric IPv4 and IPv6 addresses and the
//! names of the scenario's hosts, and a numeric service. Results are Windows
//! `ADDRINFOA` nodes allocated with the C library's `malloc`, one block per node (node,
//! socket address, canonical name), freed by `freeaddrinfo`.

#![allow(non_snake_case)]

use crate::layout::{AddrInfo, SockAddrIn, SockAddrIn6};
use crate::memory::ProcessMemory;
use crate::start::{call, call_any, set_last_error};
use crate::winsock::addr;
use std::collections::BTreeSet;
use std::ffi::{c_char, c_int, c_void};
use std::sync::Mutex;
use wsasim_core::consts::{AF_INET, AF_INET6, AF_UNSPEC, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM};
use wsasim_core::memory::{Fault, UserMemory};
use wsasim_core::net::IpAddr;
use wsasim_core::{Ptr, WsaError};
use wsasim_runtime::api;

/// `AI_PASSIVE`: the caller will bind the address.
const AI_PASSIVE: i32 = 0x1;
/// `AI_CANONNAME`: return the canonical name in the first node.
const AI_CANONNAME: i32 = 0x2;
/// `AI_NUMERICHOST`: the node is a numeric address; no name lookup.
const AI_NUMERICHOST: i32 = 0x4;
/// `AI_NUMERICSERV`: the service is a port number.
const AI_NUMERICSERV: i32 = 0x8;
/// The flags this resolver knows; the others are `WSAEINVAL` (`EAI_BADFLAGS`). The
/// ones that change nothing in a simulated world (AI_ADDRCONFIG, AI_ALL, AI_V4MAPPED...)
/// are accepted and ignored.
const AI_KNOWN: i32 = AI_PASSIVE
    | AI_CANONNAME
    | AI_NUMERICHOST
    | AI_NUMERICSERV
    | 0x10 // AI_DNS_ONLY
    | 0x100 // AI_ALL
    | 0x400 // AI_ADDRCONFIG
    | 0x800 // AI_V4MAPPED
    | 0x4000 // AI_NON_AUTHORITATIVE
    | 0x8000 // AI_SECURE
    | 0x1_0000 // AI_RETURN_PREFERRED_NAMES
    | 0x2_0000 // AI_FQDN
    | 0x4_0000; // AI_FILESERVER

/// `STATUS_INVALID_PARAMETER`: what Windows 8 and later leave in the last error when
/// `inet_ntop` has no room (wine-mirror/wine `dlls/ws2_32/tests/protocol.c`,
/// `test_addr_to_print`; Windows 7 said `WSAEINVAL`).
const STATUS_INVALID_PARAMETER: u32 = 0xC000_000D;

/// Longest node or service name read (`NI_MAXHOST`).
const NAME_MAX: usize = 1025;

/// The nodes `getaddrinfo` handed out and `freeaddrinfo` has not freed yet: a pointer
/// that is not one of them is left alone (no crash on a bad `freeaddrinfo`).
static LIVE: Mutex<BTreeSet<usize>> = Mutex::new(BTreeSet::new());

/// What `getaddrinfo` was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// `pNodeName`.
    pub node: Option<String>,
    /// `pServiceName`.
    pub service: Option<String>,
    /// `ai_flags` of the hints.
    pub flags: i32,
    /// `ai_family`.
    pub family: i32,
    /// `ai_socktype`.
    pub socktype: i32,
    /// `ai_protocol`.
    pub protocol: i32,
}

/// One answer: an address, with the canonical name for the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The address.
    pub ip: IpAddr,
    /// The port, host order.
    pub port: u16,
}

/// Resolves `q` against the simulated hosts `(name, addresses)`: the answers (IPv6
/// first, then IPv4, each in the host's order) and the canonical name.
pub fn resolve(
    q: &Query,
    hosts: &[(String, Vec<IpAddr>)],
) -> Result<(Vec<Answer>, String), WsaError> {
    // "WSAEINVAL: An invalid value was provided for the ai_flags member" (getaddrinfo).
    if q.flags & !AI_KNOWN != 0 {
        return Err(WsaError::WSAEINVAL);
    }
    // "WSAEAFNOSUPPORT: The ai_family member ... is not supported."
    if !matches!(q.family, AF_UNSPEC | AF_INET | AF_INET6) {
        return Err(WsaError::WSAEAFNOSUPPORT);
    }
    // "WSAESOCKTNOSUPPORT: The ai_socktype member ... is not supported."
    if !matches!(q.socktype, 0 | SOCK_STREAM | SOCK_DGRAM | SOCK_RAW) {
        return Err(WsaError::WSAESOCKTNOSUPPORT);
    }
    // "WSAHOST_NOT_FOUND: ... or the pNodeName and pServiceName parameters were not
    // provided."
    if q.node.is_none() && q.service.is_none() {
        return Err(WsaError::WSAHOST_NOT_FOUND);
    }
    // AI_CANONNAME needs a node to name.
    if q.node.is_none() && q.flags & AI_CANONNAME != 0 {
        return Err(WsaError::WSAEINVAL);
    }
    // "WSATYPE_NOT_FOUND: The pServiceName parameter is not supported for the specified
    // ai_socktype member": only port numbers are services here.
    let port = match &q.service {
        None => 0,
        Some(s) => s.parse::<u16>().map_err(|_| WsaError::WSATYPE_NOT_FOUND)?,
    };
    let wants = |ip: &IpAddr| q.family == AF_UNSPEC || ip.family() == q.family;
    let (candidates, canon): (Vec<IpAddr>, String) = match &q.node {
        None => {
            // "If the AI_PASSIVE bit is set ... and pNodeName is NULL, the returned
            // address is INADDR_ANY for IPv4 and IN6ADDR_ANY_INIT for IPv6"; without it,
            // the loopback address.
            let (v6, v4) = if q.flags & AI_PASSIVE != 0 {
                (IpAddr::V6([0; 16]), IpAddr::V4([0; 4]))
            } else {
                (loopback_v6(), IpAddr::V4([127, 0, 0, 1]))
            };
            (vec![v6, v4], String::new())
        }
        Some(name) => match IpAddr::parse(name) {
            Some(ip) => (vec![ip], name.clone()),
            None if q.flags & AI_NUMERICHOST != 0 => return Err(WsaError::WSAHOST_NOT_FOUND),
            None if name.eq_ignore_ascii_case("localhost") => (
                vec![loopback_v6(), IpAddr::V4([127, 0, 0, 1])],
                "localhost".to_string(),
            ),
            None => {
                let wanted = name.strip_suffix('.').unwrap_or(name);
                let Some((host, addrs)) =
                    hosts.iter().find(|(n, _)| n.eq_ignore_ascii_case(wanted))
                else {
                    return Err(WsaError::WSAHOST_NOT_FOUND);
                };
                let mut sorted: Vec<IpAddr> = addrs
                    .iter()
                    .filter(|a| matches!(a, IpAddr::V6(_)))
                    .copied()
                    .collect();
                sorted.extend(addrs.iter().filter(|a| matches!(a, IpAddr::V4(_))).copied());
                if sorted.is_empty() {
                    // A known name without addresses: "WSANO_DATA: Valid name, no data
                    // record of requested type".
                    return Err(WsaError::WSANO_DATA);
                }
                (sorted, host.clone())
            }
        },
    };
    let answers: Vec<Answer> = candidates
        .into_iter()
        .filter(wants)
        .map(|ip| Answer { ip, port })
        .collect();
    if answers.is_empty() {
        // A numeric address of the other family, or a host without one of this family.
        return Err(
            if q.node
                .as_deref()
                .is_some_and(|n| IpAddr::parse(n).is_some())
            {
                WsaError::WSAHOST_NOT_FOUND
            } else {
                WsaError::WSANO_DATA
            },
        );
    }
    Ok((answers, canon))
}

fn loopback_v6() -> IpAddr {
    let mut a = [0u8; 16];
    a[15] = 1;
    IpAddr::V6(a)
}

/// Reads a NUL-terminated string of at most `max` bytes (without the NUL) at `p`.
/// `Ok(None)` if it is longer.
fn read_cstr(p: Ptr, max: usize) -> Result<Option<Vec<u8>>, Fault> {
    let mem = ProcessMemory;
    let mut out = Vec::new();
    let mut at = p;
    loop {
        // Up to the end of the page, so no read crosses into an unmapped one needlessly.
        let room = (4096 - (at.0 % 4096)) as usize;
        let mut chunk = vec![0u8; room.min(max + 1 - out.len())];
        mem.read(at, &mut chunk)?;
        if let Some(end) = chunk.iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..end]);
            return Ok(Some(out));
        }
        out.extend_from_slice(&chunk);
        if out.len() > max {
            return Ok(None);
        }
        at = Ptr(at.0 + chunk.len() as u64);
    }
}

/// A string argument: `None` for NULL; `WSAEFAULT` if unreadable; `WSAHOST_NOT_FOUND`
/// if too long or not text.
fn string_arg(p: *const c_char) -> Result<Option<String>, WsaError> {
    if p.is_null() {
        return Ok(None);
    }
    match read_cstr(addr(p), NAME_MAX) {
        Err(_) => Err(WsaError::WSAEFAULT),
        Ok(None) => Err(WsaError::WSAHOST_NOT_FOUND),
        Ok(Some(bytes)) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| WsaError::WSAHOST_NOT_FOUND),
    }
}

fn read_i32(mem: &ProcessMemory, p: Ptr) -> Result<i32, Fault> {
    let mut b = [0u8; 4];
    mem.read(p, &mut b)?;
    Ok(i32::from_le_bytes(b))
}

/// `INT getaddrinfo(PCSTR pNodeName, PCSTR pServiceName, const ADDRINFOA *pHints,
/// PADDRINFOA *ppResult)`: 0, or a WSA error code (also the thread's last error).
#[no_mangle]
pub extern "C" fn wsasim_getaddrinfo(
    pNodeName: *const c_char,
    pServiceName: *const c_char,
    pHints: *const AddrInfo,
    ppResult: *mut *mut AddrInfo,
) -> c_int {
    let refused = WsaError::WSASYSNOTREADY.0 as c_int;
    call("getaddrinfo", refused, || {
        match getaddrinfo_inner(pNodeName, pServiceName, pHints, ppResult) {
            Ok(()) => 0,
            Err(e) => {
                api::WSASetLastError(e.0 as i32);
                e.0 as c_int
            }
        }
    })
}

fn getaddrinfo_inner(
    node: *const c_char,
    service: *const c_char,
    hints: *const AddrInfo,
    out: *mut *mut AddrInfo,
) -> Result<(), WsaError> {
    let (started, hosts) = wsasim_runtime::with_adopted_world(|w| {
        let hosts: Vec<(String, Vec<IpAddr>)> = w
            .network_mut()
            .hosts()
            .map(|(_, h)| (h.name.clone(), h.addrs.clone()))
            .collect();
        (w.wsa_started(), hosts)
    })
    // Only a run the C ABI adopted has a world to resolve in.
    .ok_or(WsaError::WSASYSNOTREADY)?;
    // "WSANOTINITIALISED: A successful WSAStartup call must occur before using this
    // function."
    if !started {
        return Err(WsaError::WSANOTINITIALISED);
    }
    let mem = ProcessMemory;
    let out_at = addr(out);
    if out_at.is_null() || mem.check(out_at, 8, true).is_err() {
        return Err(WsaError::WSAEFAULT);
    }
    let mut q = Query {
        node: string_arg(node)?,
        service: string_arg(service)?,
        flags: 0,
        family: AF_UNSPEC,
        socktype: 0,
        protocol: 0,
    };
    if !hints.is_null() {
        let h = addr(hints);
        let field = |off: u64| read_i32(&mem, Ptr(h.0 + off)).map_err(|_| WsaError::WSAEFAULT);
        q.flags = field(0)?;
        q.family = field(4)?;
        q.socktype = field(8)?;
        q.protocol = field(12)?;
    }
    let (answers, canon) = resolve(&q, &hosts)?;
    let head = build_list(&q, &answers, &canon)?;
    let mut mem = mem;
    mem.write(out_at, &(head as u64).to_le_bytes())
        .map_err(|_| WsaError::WSAEFAULT)?;
    Ok(())
}

/// Allocates the result list: one `malloc` block per node.
fn build_list(q: &Query, answers: &[Answer], canon: &str) -> Result<usize, WsaError> {
    let mut blocks: Vec<*mut u8> = Vec::with_capacity(answers.len());
    for (i, a) in answers.iter().enumerate() {
        let name = (i == 0 && q.flags & AI_CANONNAME != 0).then_some(canon);
        let sa_len = match a.ip {
            IpAddr::V4(_) => std::mem::size_of::<SockAddrIn>(),
            IpAddr::V6(_) => std::mem::size_of::<SockAddrIn6>(),
        };
        let node_len = std::mem::size_of::<AddrInfo>();
        let sa_off = node_len;
        let name_off = sa_off + 32;
        let total = name_off + name.map_or(0, |n| n.len() + 1);
        // SAFETY: `calloc` has no preconditions; the result is checked for NULL.
        let block = unsafe { libc::calloc(1, total) } as *mut u8;
        if block.is_null() {
            free_blocks(&blocks);
            return Err(WsaError::WSA_NOT_ENOUGH_MEMORY);
        }
        let mut node = AddrInfo {
            ai_flags: 0,
            ai_family: a.ip.family(),
            ai_socktype: q.socktype,
            ai_protocol: q.protocol,
            ai_addrlen: sa_len,
            ai_canonname: std::ptr::null_mut(),
            // SAFETY: `sa_off + 32 <= total`: the offset stays inside the block.
            ai_addr: unsafe { block.add(sa_off) } as *mut c_void,
            ai_next: std::ptr::null_mut(),
        };
        if let Some(n) = name {
            // SAFETY: `name_off + n.len() + 1 == total`: the name and its NUL fit; the
            // block is fresh and zeroed, so the NUL is already there.
            unsafe {
                std::ptr::copy_nonoverlapping(n.as_ptr(), block.add(name_off), n.len());
                node.ai_canonname = block.add(name_off) as *mut c_char;
            }
        }
        // SAFETY: the block is at least `node_len` bytes, `calloc` aligns it for any
        // type, and nothing else refers to it yet.
        unsafe { std::ptr::write(block as *mut AddrInfo, node) };
        match a.ip {
            IpAddr::V4(octets) => {
                let sa = SockAddrIn {
                    sin_family: AF_INET as u16,
                    sin_port: a.port.to_be(),
                    sin_addr: u32::from_ne_bytes(octets),
                    sin_zero: [0; 8],
                };
                // SAFETY: `sa_off + 16 <= total`, aligned (sa_off is 48), fresh memory.
                unsafe { std::ptr::write(block.add(sa_off) as *mut SockAddrIn, sa) };
            }
            IpAddr::V6(octets) => {
                let sa = SockAddrIn6 {
                    sin6_family: AF_INET6 as u16,
                    sin6_port: a.port.to_be(),
                    sin6_flowinfo: 0,
                    sin6_addr: octets,
                    sin6_scope_id: 0,
                };
                // SAFETY: `sa_off + 28 <= total`, aligned (sa_off is 48), fresh memory.
                unsafe { std::ptr::write(block.add(sa_off) as *mut SockAddrIn6, sa) };
            }
        }
        if let Some(&prev) = blocks.last() {
            // SAFETY: `prev` is the previous node, written above and still owned here.
            unsafe { (*(prev as *mut AddrInfo)).ai_next = block as *mut AddrInfo };
        }
        blocks.push(block);
    }
    let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    for &b in &blocks {
        live.insert(b as usize);
    }
    Ok(blocks[0] as usize)
}

fn free_blocks(blocks: &[*mut u8]) {
    for &b in blocks {
        // SAFETY: each block came from `calloc` in `build_list` and is freed once.
        unsafe { libc::free(b as *mut c_void) };
    }
}

/// `VOID freeaddrinfo(PADDRINFOA pAddrInfo)`: frees the list from `pAddrInfo` on. A
/// pointer `getaddrinfo` did not return (or already freed) is ignored.
#[no_mangle]
pub extern "C" fn wsasim_freeaddrinfo(pAddrInfo: *mut AddrInfo) {
    let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    let mut at = pAddrInfo as usize;
    while at != 0 && live.remove(&at) {
        let mut next = [0u8; 8];
        // `ai_next` at offset 40: read it through the probe, in case the program wrote
        // garbage there; a node that cannot be read ends the walk.
        let ok = ProcessMemory.read(Ptr(at as u64 + 40), &mut next).is_ok();
        // SAFETY: `at` was in LIVE: a block from `calloc` in `build_list`, not freed yet
        // (it is removed from LIVE now, so it is freed once).
        unsafe { libc::free(at as *mut c_void) };
        if !ok {
            break;
        }
        at = u64::from_le_bytes(next) as usize;
    }
}

/// `INT inet_pton(INT Family, PCSTR pszAddrString, PVOID pAddrBuf)`: 1, 0 for text that
/// is not an address of that family, -1 with the last error set.
#[no_mangle]
pub extern "C" fn wsasim_inet_pton(
    Family: c_int,
    pszAddrString: *const c_char,
    pAddrBuf: *mut c_void,
) -> c_int {
    let run = || {
        let fail = |e: WsaError| {
            set_last_error(e.0);
            -1
        };
        // Verified on Windows: a NULL string is WSAEFAULT whatever the family
        // (wine-mirror/wine dlls/ws2_32/tests/protocol.c, test_inet_pton).
        if pszAddrString.is_null() {
            return fail(WsaError::WSAEFAULT);
        }
        if Family != AF_INET && Family != AF_INET6 {
            return fail(WsaError::WSAEAFNOSUPPORT);
        }
        if pAddrBuf.is_null() {
            return fail(WsaError::WSAEFAULT);
        }
        let text = match read_cstr(addr(pszAddrString), 64) {
            Err(_) => return fail(WsaError::WSAEFAULT),
            Ok(None) => return 0,
            Ok(Some(t)) => t,
        };
        let Some(bytes) = pton(Family, &text) else {
            return 0;
        };
        if ProcessMemory.write(addr(pAddrBuf), &bytes).is_err() {
            return fail(WsaError::WSAEFAULT);
        }
        1
    };
    call_any("inet_pton", run, run)
}

/// The address bytes (network order) of `text` in `family`, if it is one.
pub fn pton(family: i32, text: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(text).ok()?;
    match family {
        AF_INET => text
            .parse::<std::net::Ipv4Addr>()
            .ok()
            .map(|a| a.octets().to_vec()),
        AF_INET6 => text
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|a| a.octets().to_vec()),
        _ => None,
    }
}

/// The text Windows writes for an address: dotted IPv4; IPv6 in RFC 5952 form, with the
/// IPv4 part dotted for IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated
/// (`::ffff:0:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`) addresses.
pub fn ntop(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => std::net::Ipv4Addr::from(*a).to_string(),
        IpAddr::V6(a) => {
            let w: Vec<u16> = a
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            let v4 = || std::net::Ipv4Addr::new(a[12], a[13], a[14], a[15]);
            if w[..5].iter().all(|&x| x == 0) && w[5] == 0xffff {
                return format!("::ffff:{}", v4());
            }
            if w[..4].iter().all(|&x| x == 0) && w[4] == 0xffff && w[5] == 0 {
                return format!("::ffff:0:{}", v4());
            }
            if w[..6].iter().all(|&x| x == 0) && w[6] != 0 {
                return format!("::{}", v4());
            }
            std::net::Ipv6Addr::from(*a).to_string()
        }
    }
}

/// `PCSTR inet_ntop(INT Family, const VOID *pAddr, PSTR pStringBuf, size_t
/// StringBufSize)`: `pStringBuf`, or NULL with the last error set.
#[no_mangle]
pub extern "C" fn wsasim_inet_ntop(
    Family: c_int,
    pAddr: *const c_void,
    pStringBuf: *mut c_char,
    StringBufSize: usize,
) -> *const c_char {
    let run = || {
        let fail = |code: u32| {
            set_last_error(code);
            std::ptr::null()
        };
        // Verified on Windows 8 and later: no buffer, or no room, is
        // STATUS_INVALID_PARAMETER (wine-mirror/wine dlls/ws2_32/tests/protocol.c,
        // test_addr_to_print).
        if pStringBuf.is_null() || StringBufSize == 0 {
            return fail(STATUS_INVALID_PARAMETER);
        }
        let len = match Family {
            AF_INET => 4,
            AF_INET6 => 16,
            _ => return fail(WsaError::WSAEAFNOSUPPORT.0),
        };
        let mut raw = [0u8; 16];
        if pAddr.is_null() || ProcessMemory.read(addr(pAddr), &mut raw[..len]).is_err() {
            return fail(WsaError::WSAEFAULT.0);
        }
        let ip = if len == 4 {
            IpAddr::V4([raw[0], raw[1], raw[2], raw[3]])
        } else {
            IpAddr::V6(raw)
        };
        let mut text = ntop(&ip).into_bytes();
        if text.len() + 1 > StringBufSize {
            return fail(STATUS_INVALID_PARAMETER);
        }
        text.push(0);
        if ProcessMemory.write(addr(pStringBuf), &text).is_err() {
            return fail(WsaError::WSAEFAULT.0);
        }
        pStringBuf as *const c_char
    };
    call_any("inet_ntop", run, run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(node: Option<&str>, service: Option<&str>, flags: i32, family: i32) -> Query {
        Query {
            node: node.map(str::to_string),
            service: service.map(str::to_string),
            flags,
            family,
            socktype: SOCK_STREAM,
            protocol: 6,
        }
    }

    fn hosts() -> Vec<(String, Vec<IpAddr>)> {
        vec![
            ("local".to_string(), vec![]),
            (
                "server".to_string(),
                vec![
                    IpAddr::parse("10.0.0.2").unwrap(),
                    IpAddr::parse("fd00::2").unwrap(),
                ],
            ),
        ]
    }

    #[test]
    fn null_node_passive_is_the_wildcard_address_of_the_family() {
        let (a, _) = resolve(&q(None, Some("27015"), AI_PASSIVE, AF_INET), &hosts()).unwrap();
        assert_eq!(
            a,
            vec![Answer {
                ip: IpAddr::V4([0; 4]),
                port: 27015
            }]
        );
        let (a, _) = resolve(&q(None, Some("80"), AI_PASSIVE, AF_UNSPEC), &hosts()).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].ip, IpAddr::V6([0; 16]), "IPv6 first");
    }

    #[test]
    fn null_node_without_passive_is_loopback() {
        let (a, _) = resolve(&q(None, Some("1"), 0, AF_INET), &hosts()).unwrap();
        assert_eq!(a[0].ip, IpAddr::V4([127, 0, 0, 1]));
    }

    #[test]
    fn names_resolve_to_the_scenario_hosts_addresses() {
        let (a, canon) = resolve(&q(Some("SERVER"), None, 0, AF_INET), &hosts()).unwrap();
        assert_eq!(a[0].ip, IpAddr::parse("10.0.0.2").unwrap());
        assert_eq!(canon, "server");
        let (a, _) = resolve(&q(Some("server"), None, 0, AF_UNSPEC), &hosts()).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].ip, IpAddr::parse("fd00::2").unwrap());
        let (a, _) = resolve(&q(Some("localhost"), Some("5"), 0, AF_INET6), &hosts()).unwrap();
        assert_eq!(a[0].ip, loopback_v6());
    }

    #[test]
    fn bad_queries_get_the_documented_codes() {
        let h = hosts();
        assert_eq!(
            resolve(&q(Some("nowhere"), None, 0, AF_INET), &h),
            Err(WsaError::WSAHOST_NOT_FOUND)
        );
        assert_eq!(
            resolve(&q(None, None, 0, AF_INET), &h),
            Err(WsaError::WSAHOST_NOT_FOUND)
        );
        assert_eq!(
            resolve(&q(Some("1.2.3.4"), None, 0, 99), &h),
            Err(WsaError::WSAEAFNOSUPPORT)
        );
        assert_eq!(
            resolve(&q(Some("1.2.3.4"), Some("http"), 0, AF_INET), &h),
            Err(WsaError::WSATYPE_NOT_FOUND)
        );
        assert_eq!(
            resolve(&q(Some("1.2.3.4"), Some("65536"), 0, AF_INET), &h),
            Err(WsaError::WSATYPE_NOT_FOUND)
        );
        assert_eq!(
            resolve(&q(Some("server"), None, AI_NUMERICHOST, AF_INET), &h),
            Err(WsaError::WSAHOST_NOT_FOUND)
        );
        assert_eq!(
            resolve(&q(Some("1.2.3.4"), None, 0x4000_0000, AF_INET), &h),
            Err(WsaError::WSAEINVAL)
        );
        assert_eq!(
            resolve(&q(Some("1.2.3.4"), None, 0, AF_INET6), &h),
            Err(WsaError::WSAHOST_NOT_FOUND)
        );
        assert_eq!(
            resolve(&q(Some("local"), None, 0, AF_INET), &h),
            Err(WsaError::WSANO_DATA)
        );
        let mut bad_type = q(Some("1.2.3.4"), None, 0, AF_INET);
        bad_type.socktype = 9;
        assert_eq!(resolve(&bad_type, &h), Err(WsaError::WSAESOCKTNOSUPPORT));
    }

    #[test]
    fn ntop_writes_windows_text() {
        let t = |s: &str| ntop(&IpAddr::parse(s).unwrap());
        assert_eq!(t("21.16.32.32"), "21.16.32.32");
        assert_eq!(t("::fffe:cc98:bd74"), "::fffe:cc98:bd74");
        assert_eq!(t("2030:a4b1::"), "2030:a4b1::");
        assert_eq!(t("::204.152.189.116"), "::204.152.189.116");
        assert_eq!(t("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(t("::1"), "::1");
        assert_eq!(t("::"), "::");
    }

    #[test]
    fn pton_accepts_addresses_of_the_family_only() {
        assert_eq!(pton(AF_INET, b"127.0.0.1"), Some(vec![127, 0, 0, 1]));
        assert_eq!(pton(AF_INET, b"::1"), None);
        assert_eq!(pton(AF_INET6, b"::1").unwrap()[15], 1);
        assert_eq!(pton(AF_INET, b"1.2.3.256"), None);
    }
}
