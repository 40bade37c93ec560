//! Socket addresses in Windows' x64 layout: `sockaddr_in` (16 bytes: family @0, port
//! @2 big-endian, address @4) and `sockaddr_in6` (28 bytes: family @0, port @2,
//! flowinfo @4, address @8, scope id @24).

use crate::consts::{AF_INET, AF_INET6};
use crate::error::WsaError;
use crate::memory::{Ptr, UserMemory, UserMemoryExt};
use core::fmt;

/// An IPv4 or IPv6 address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IpAddr {
    /// IPv4.
    V4([u8; 4]),
    /// IPv6.
    V6([u8; 16]),
}

impl IpAddr {
    /// `INADDR_ANY` / `in6addr_any` of the family.
    pub fn unspecified(af: i32) -> IpAddr {
        if af == AF_INET6 {
            IpAddr::V6([0; 16])
        } else {
            IpAddr::V4([0; 4])
        }
    }
    /// Whether this is the wildcard address.
    pub fn is_unspecified(&self) -> bool {
        match self {
            IpAddr::V4(a) => *a == [0; 4],
            IpAddr::V6(a) => *a == [0; 16],
        }
    }
    /// Whether this is a loopback address (127/8 or ::1).
    pub fn is_loopback(&self) -> bool {
        match self {
            IpAddr::V4(a) => a[0] == 127,
            IpAddr::V6(a) => {
                *a == {
                    let mut l = [0; 16];
                    l[15] = 1;
                    l
                }
            }
        }
    }
    /// Whether this is the limited broadcast address 255.255.255.255.
    pub fn is_broadcast(&self) -> bool {
        matches!(self, IpAddr::V4([255, 255, 255, 255]))
    }
    /// Whether this is a multicast address (224.0.0.0/4, ff00::/8).
    pub fn is_multicast(&self) -> bool {
        match self {
            IpAddr::V4(a) => a[0] & 0xF0 == 0xE0,
            IpAddr::V6(a) => a[0] == 0xFF,
        }
    }
    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`).
    pub fn v4_mapped(&self) -> Option<IpAddr> {
        match self {
            IpAddr::V6(a) if a[..10] == [0; 10] && a[10] == 0xFF && a[11] == 0xFF => {
                Some(IpAddr::V4([a[12], a[13], a[14], a[15]]))
            }
            _ => None,
        }
    }
    /// `::ffff:a.b.c.d` for an IPv4 address; an IPv6 address stays as it is.
    pub fn to_v6_mapped(&self) -> IpAddr {
        match self {
            IpAddr::V4(a) => {
                let mut m = [0u8; 16];
                m[10] = 0xFF;
                m[11] = 0xFF;
                m[12..].copy_from_slice(a);
                IpAddr::V6(m)
            }
            v6 => *v6,
        }
    }
    /// The address as IP packets carry it: an IPv4-mapped IPv6 address is IPv4.
    pub fn unmapped(&self) -> IpAddr {
        self.v4_mapped().unwrap_or(*self)
    }
    /// Whether the first `prefix` bits of this address and `net` agree (same family).
    pub fn in_subnet(&self, net: &IpAddr, prefix: u8) -> bool {
        let (a, b): (&[u8], &[u8]) = match (self, net) {
            (IpAddr::V4(a), IpAddr::V4(b)) => (a, b),
            (IpAddr::V6(a), IpAddr::V6(b)) => (a, b),
            _ => return false,
        };
        let bits = usize::from(prefix).min(a.len() * 8);
        let (whole, rest) = (bits / 8, bits % 8);
        if a[..whole] != b[..whole] {
            return false;
        }
        rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0
    }
    /// The directed broadcast address of this IPv4 address's `/prefix` subnet (host bits
    /// all ones); `None` for IPv6 (no broadcast) and for /31 and /32.
    pub fn directed_broadcast(&self, prefix: u8) -> Option<IpAddr> {
        match self {
            IpAddr::V4(a) if prefix <= 30 => {
                let host_mask = u32::MAX >> prefix;
                Some(IpAddr::V4(
                    (u32::from_be_bytes(*a) | host_mask).to_be_bytes(),
                ))
            }
            _ => None,
        }
    }
    /// The address family.
    pub fn family(&self) -> i32 {
        match self {
            IpAddr::V4(_) => AF_INET,
            IpAddr::V6(_) => AF_INET6,
        }
    }
    /// Parses dotted IPv4 or (simple) IPv6 text.
    pub fn parse(s: &str) -> Option<IpAddr> {
        if let Ok(v4) = s.parse::<std::net::Ipv4Addr>() {
            return Some(IpAddr::V4(v4.octets()));
        }
        s.parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|v6| IpAddr::V6(v6.octets()))
    }
}

impl fmt::Debug for IpAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for IpAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpAddr::V4(a) => write!(f, "{}", std::net::Ipv4Addr::from(*a)),
            IpAddr::V6(a) => write!(f, "{}", std::net::Ipv6Addr::from(*a)),
        }
    }
}

/// An address and a port.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SockAddr {
    /// The IP address.
    pub ip: IpAddr,
    /// The port, host order.
    pub port: u16,
}

impl fmt::Debug for SockAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for SockAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            IpAddr::V4(_) => write!(f, "{}:{}", self.ip, self.port),
            IpAddr::V6(_) => write!(f, "[{}]:{}", self.ip, self.port),
        }
    }
}

/// `sizeof(sockaddr_in)`.
pub const SOCKADDR_IN_LEN: i32 = 16;
/// `sizeof(sockaddr_in6)`.
pub const SOCKADDR_IN6_LEN: i32 = 28;

impl SockAddr {
    /// `ip:port`.
    pub fn new(ip: IpAddr, port: u16) -> SockAddr {
        SockAddr { ip, port }
    }

    /// Parses `"127.0.0.1:27015"` or `"[::1]:80"`.
    pub fn parse(s: &str) -> Option<SockAddr> {
        let sa: std::net::SocketAddr = s.parse().ok()?;
        let ip = match sa.ip() {
            std::net::IpAddr::V4(v) => IpAddr::V4(v.octets()),
            std::net::IpAddr::V6(v) => IpAddr::V6(v.octets()),
        };
        Some(SockAddr {
            ip,
            port: sa.port(),
        })
    }

    /// The length of this address's `sockaddr`.
    pub fn len(&self) -> i32 {
        match self.ip {
            IpAddr::V4(_) => SOCKADDR_IN_LEN,
            IpAddr::V6(_) => SOCKADDR_IN6_LEN,
        }
    }

    /// Always false: a `sockaddr` is never empty (for clippy's `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Reads a `sockaddr` of `namelen` bytes at `p`. A NULL or unreadable pointer, or a
    /// length too short for the family, is `WSAEFAULT`; an unknown family
    /// `WSAEAFNOSUPPORT`.
    pub fn read<M: UserMemory + ?Sized>(
        mem: &M,
        p: Ptr,
        namelen: i32,
    ) -> Result<SockAddr, WsaError> {
        if p.is_null() || namelen < 2 {
            return Err(WsaError::WSAEFAULT);
        }
        mem.check(p, namelen as u64, false)
            .map_err(|_| WsaError::WSAEFAULT)?;
        let mut fam = [0u8; 2];
        mem.read(p, &mut fam).map_err(|_| WsaError::WSAEFAULT)?;
        let family = i32::from(u16::from_le_bytes(fam));
        let need = match family {
            AF_INET => SOCKADDR_IN_LEN,
            AF_INET6 => SOCKADDR_IN6_LEN,
            _ => return Err(WsaError::WSAEAFNOSUPPORT),
        };
        if namelen < need {
            return Err(WsaError::WSAEFAULT);
        }
        let mut raw = [0u8; 28];
        mem.read(p, &mut raw[..need as usize])
            .map_err(|_| WsaError::WSAEFAULT)?;
        let port = u16::from_be_bytes([raw[2], raw[3]]);
        let ip = if family == AF_INET {
            IpAddr::V4([raw[4], raw[5], raw[6], raw[7]])
        } else {
            let mut a = [0u8; 16];
            a.copy_from_slice(&raw[8..24]);
            IpAddr::V6(a)
        };
        Ok(SockAddr { ip, port })
    }

    /// The bytes of this address's `sockaddr`.
    pub fn to_bytes(&self) -> ([u8; 28], usize) {
        let mut raw = [0u8; 28];
        raw[0..2].copy_from_slice(&(self.ip.family() as u16).to_le_bytes());
        raw[2..4].copy_from_slice(&self.port.to_be_bytes());
        match self.ip {
            IpAddr::V4(a) => raw[4..8].copy_from_slice(&a),
            IpAddr::V6(a) => raw[8..24].copy_from_slice(&a),
        }
        (raw, self.len() as usize)
    }

    /// Writes this address to `name` and its length to `*namelen`, as `getsockname`,
    /// `getpeername` and `accept` do: NULL or unwritable pointers, or `*namelen` smaller
    /// than the address, are `WSAEFAULT`.
    pub fn write_out<M: UserMemory + ?Sized>(
        &self,
        mem: &mut M,
        name: Ptr,
        namelen: Ptr,
    ) -> Result<(), WsaError> {
        if name.is_null() || namelen.is_null() {
            return Err(WsaError::WSAEFAULT);
        }
        let have = mem.read_u32(namelen).map_err(|_| WsaError::WSAEFAULT)? as i32;
        let (raw, len) = self.to_bytes();
        if have < len as i32 {
            return Err(WsaError::WSAEFAULT);
        }
        mem.write(name, &raw[..len])
            .map_err(|_| WsaError::WSAEFAULT)?;
        mem.write_u32(namelen, len as u32)
            .map_err(|_| WsaError::WSAEFAULT)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::SimMemory;

    #[test]
    fn sockaddr_in_round_trips_through_memory() {
        let mut m = SimMemory::new();
        let a = SockAddr::parse("127.0.0.1:27015").unwrap();
        let (raw, len) = a.to_bytes();
        assert_eq!(len, 16);
        assert_eq!(&raw[2..4], &[0x69, 0x87], "port in network order");
        let p = m.alloc_bytes(&raw[..len]);
        assert_eq!(SockAddr::read(&m, p, 16).unwrap(), a);
        assert_eq!(SockAddr::read(&m, p, 15), Err(WsaError::WSAEFAULT));
        assert_eq!(SockAddr::read(&m, Ptr::NULL, 16), Err(WsaError::WSAEFAULT));
    }

    #[test]
    fn subnets_mapped_addresses_and_broadcasts() {
        let a = IpAddr::parse("10.1.2.3").unwrap();
        assert!(a.in_subnet(&IpAddr::parse("10.1.2.0").unwrap(), 24));
        assert!(!a.in_subnet(&IpAddr::parse("10.1.3.0").unwrap(), 24));
        assert!(a.in_subnet(&IpAddr::parse("10.1.0.0").unwrap(), 22));
        assert!(a.in_subnet(&IpAddr::parse("99.9.9.9").unwrap(), 0));
        assert_eq!(a.directed_broadcast(24), IpAddr::parse("10.1.2.255"));
        assert_eq!(a.directed_broadcast(20), IpAddr::parse("10.1.15.255"));
        assert_eq!(a.directed_broadcast(31), None);
        let m = a.to_v6_mapped();
        assert_eq!(m, IpAddr::parse("::ffff:10.1.2.3").unwrap());
        assert_eq!(m.v4_mapped(), Some(a));
        assert_eq!(m.unmapped(), a);
        assert_eq!(IpAddr::parse("2001:db8::1").unwrap().v4_mapped(), None);
        assert!(IpAddr::parse("ff01::1").unwrap().is_multicast());
        assert!(IpAddr::parse("239.1.1.1").unwrap().is_multicast());
        assert!(!a.is_multicast());
        let v6 = IpAddr::parse("2001:db8:0:1::5").unwrap();
        assert!(v6.in_subnet(&IpAddr::parse("2001:db8:0:1::").unwrap(), 64));
        assert!(!v6.in_subnet(&IpAddr::parse("2001:db8:0:2::").unwrap(), 64));
        assert!(!v6.in_subnet(&a, 0), "families differ");
    }

    #[test]
    fn sockaddr_in6_is_28_bytes() {
        let a = SockAddr::parse("[::1]:80").unwrap();
        assert_eq!(a.len(), 28);
        assert!(a.ip.is_loopback());
        let mut m = SimMemory::new();
        let p = m.alloc(28);
        let n = m.alloc_bytes(&27u32.to_le_bytes());
        assert_eq!(
            a.write_out(&mut m, p, n),
            Err(WsaError::WSAEFAULT),
            "namelen too small"
        );
        m.write_u32(n, 28).unwrap();
        a.write_out(&mut m, p, n).unwrap();
        assert_eq!(SockAddr::read(&m, p, 28).unwrap(), a);
    }
}
