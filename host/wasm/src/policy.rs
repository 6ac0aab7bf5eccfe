//! Egress policy: which destinations a plugin's HTTP calls and Kafka records may reach.
//!
//! By default HTTP may reach public addresses only: loopback, private, link-local (where
//! cloud metadata services live), unspecified and multicast addresses need an explicit
//! allow (`--allow-http`), because a workflow definition must not turn fermata into a
//! proxy into its own network. Kafka bootstrap servers must be listed (`--allow-kafka`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Any,
    Class(AddressClass),
    Net(IpAddr, u8),
    Host(String),
    /// `*.example.com`
    Suffix(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    Loopback,
    Private,
    LinkLocal,
    Unspecified,
    Multicast,
}

impl AddressClass {
    pub fn of(ip: IpAddr) -> AddressClass {
        match ip {
            IpAddr::V4(v4) => v4_class(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4_class(v4),
                None => v6_class(v6),
            },
        }
    }

    fn name(self) -> &'static str {
        match self {
            AddressClass::Public => "public",
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::LinkLocal => "link-local",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Multicast => "multicast",
        }
    }
}

fn v4_class(ip: Ipv4Addr) -> AddressClass {
    let o = ip.octets();
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_unspecified() || o[0] == 0 {
        AddressClass::Unspecified
    } else if ip.is_link_local() {
        AddressClass::LinkLocal
    } else if ip.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) {
        AddressClass::Private
    } else if ip.is_multicast() || ip.is_broadcast() {
        AddressClass::Multicast
    } else {
        AddressClass::Public
    }
}

fn v6_class(ip: Ipv6Addr) -> AddressClass {
    let s = ip.segments();
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_unspecified() {
        AddressClass::Unspecified
    } else if s[0] & 0xffc0 == 0xfe80 {
        AddressClass::LinkLocal
    } else if s[0] & 0xfe00 == 0xfc00 {
        AddressClass::Private
    } else if ip.is_multicast() {
        AddressClass::Multicast
    } else {
        AddressClass::Public
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits.min(32)))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits.min(128)))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V4(_)) => a
            .to_ipv4_mapped()
            .is_some_and(|v4| in_net(IpAddr::V4(v4), net, bits)),
        _ => false,
    }
}

/// Where plugins' HTTP calls may go.
#[derive(Debug, Clone, Default)]
pub struct HttpPolicy {
    rules: Vec<Rule>,
}

impl HttpPolicy {
    /// Entries: `any`, `loopback`, `private`, `link-local`, an address, a CIDR
    /// (`10.0.0.0/8`), a host name, or `*.domain`.
    pub fn parse(entries: &[String]) -> Result<HttpPolicy, String> {
        let mut rules = Vec::new();
        for raw in entries.iter().flat_map(|e| e.split(',')) {
            let e = raw.trim().to_ascii_lowercase();
            if e.is_empty() {
                continue;
            }
            let rule = match e.as_str() {
                "any" | "*" => Rule::Any,
                "loopback" | "localhost" => Rule::Class(AddressClass::Loopback),
                "private" => Rule::Class(AddressClass::Private),
                "link-local" => Rule::Class(AddressClass::LinkLocal),
                _ => {
                    if let Some((net, bits)) = e.split_once('/') {
                        let net: IpAddr = net
                            .parse()
                            .map_err(|_| format!("--allow-http: '{raw}' is not a CIDR"))?;
                        let bits: u8 = bits.parse().map_err(|_| {
                            format!("--allow-http: '{raw}' has a bad prefix length")
                        })?;
                        Rule::Net(net, bits)
                    } else if let Ok(ip) = e.trim_matches(['[', ']']).parse::<IpAddr>() {
                        Rule::Net(ip, if ip.is_ipv4() { 32 } else { 128 })
                    } else if let Some(suffix) = e.strip_prefix("*.") {
                        Rule::Suffix(format!(".{suffix}"))
                    } else {
                        Rule::Host(e)
                    }
                }
            };
            rules.push(rule);
        }
        Ok(HttpPolicy { rules })
    }

    /// May a call to `host` (as written in the URL) go to `ip`? `Err` says why not and
    /// which setting would allow it.
    pub fn check(&self, host: &str, ip: IpAddr) -> Result<(), String> {
        let class = AddressClass::of(ip);
        if class == AddressClass::Public {
            return Ok(());
        }
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        let allowed = self.rules.iter().any(|r| match r {
            Rule::Any => true,
            Rule::Class(c) => *c == class,
            Rule::Net(net, bits) => in_net(ip, *net, *bits),
            Rule::Host(h) => *h == host,
            Rule::Suffix(s) => host.ends_with(s.as_str()),
        });
        if allowed {
            Ok(())
        } else {
            let suggestion = if host.parse::<IpAddr>().is_ok() {
                ip.to_string()
            } else {
                host.clone()
            };
            Err(format!(
                "HTTP to {host} ({ip}, a {} address) is not allowed: start fermata with --allow-http {suggestion} (or FERMATA_ALLOW_HTTP)",
                class.name()
            ))
        }
    }
}

/// Which Kafka bootstrap servers plugins may publish to.
#[derive(Debug, Clone, Default)]
pub struct KafkaPolicy {
    servers: Vec<String>,
    any: bool,
}

impl KafkaPolicy {
    pub fn parse(entries: &[String]) -> KafkaPolicy {
        let servers: Vec<String> = entries
            .iter()
            .flat_map(|e| e.split(','))
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        KafkaPolicy {
            any: servers.iter().any(|s| s == "any" || s == "*"),
            servers,
        }
    }

    pub fn check(&self, bootstrap_servers: &str) -> Result<(), String> {
        if self.any {
            return Ok(());
        }
        let denied: Vec<String> = bootstrap_servers
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty() && !self.servers.contains(s))
            .collect();
        if denied.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "Kafka bootstrap servers {} are not allowed: start fermata with --allow-kafka {} (or FERMATA_ALLOW_KAFKA)",
                denied.join(","),
                denied.join(",")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn classes() {
        assert_eq!(AddressClass::of(ip("8.8.8.8")), AddressClass::Public);
        assert_eq!(AddressClass::of(ip("127.0.0.2")), AddressClass::Loopback);
        assert_eq!(AddressClass::of(ip("10.1.2.3")), AddressClass::Private);
        assert_eq!(AddressClass::of(ip("100.64.0.1")), AddressClass::Private);
        assert_eq!(
            AddressClass::of(ip("169.254.169.254")),
            AddressClass::LinkLocal
        );
        assert_eq!(AddressClass::of(ip("0.0.0.0")), AddressClass::Unspecified);
        assert_eq!(AddressClass::of(ip("::1")), AddressClass::Loopback);
        assert_eq!(
            AddressClass::of(ip("::ffff:10.0.0.1")),
            AddressClass::Private
        );
        assert_eq!(AddressClass::of(ip("fd00::1")), AddressClass::Private);
        assert_eq!(AddressClass::of(ip("fe80::1")), AddressClass::LinkLocal);
        assert_eq!(
            AddressClass::of(ip("2606:4700::1111")),
            AddressClass::Public
        );
    }

    #[test]
    fn default_allows_public_only_and_names_the_flag() {
        let p = HttpPolicy::default();
        assert!(p.check("example.com", ip("93.184.216.34")).is_ok());
        let err = p
            .check("169.254.169.254", ip("169.254.169.254"))
            .unwrap_err();
        assert!(
            err.contains("--allow-http 169.254.169.254") && err.contains("link-local"),
            "{err}"
        );
        let err = p.check("localhost", ip("127.0.0.1")).unwrap_err();
        assert!(err.contains("--allow-http localhost"), "{err}");
    }

    #[test]
    fn allow_rules() {
        let p = HttpPolicy::parse(&[
            "loopback, 10.0.0.0/8".into(),
            "*.corp.example".into(),
            "db.local".into(),
        ])
        .unwrap();
        assert!(p.check("127.0.0.1", ip("127.0.0.1")).is_ok());
        assert!(p.check("x", ip("10.9.9.9")).is_ok());
        assert!(p.check("api.corp.example", ip("192.168.1.1")).is_ok());
        assert!(p.check("db.local", ip("192.168.1.2")).is_ok());
        assert!(p.check("other.local", ip("192.168.1.2")).is_err());
        assert!(p.check("meta", ip("169.254.169.254")).is_err());
        assert!(
            HttpPolicy::parse(&["any".into()])
                .unwrap()
                .check("m", ip("169.254.169.254"))
                .is_ok()
        );
        assert!(HttpPolicy::parse(&["10.0.0.0/x".into()]).is_err());
    }

    #[test]
    fn kafka_needs_every_bootstrap_server_listed() {
        let k = KafkaPolicy::parse(&["127.0.0.1:9092".into()]);
        assert!(k.check("127.0.0.1:9092").is_ok());
        let err = k.check("127.0.0.1:9092,evil:9092").unwrap_err();
        assert!(err.contains("--allow-kafka evil:9092"), "{err}");
        assert!(KafkaPolicy::default().check("a:1").is_err());
    }
}
