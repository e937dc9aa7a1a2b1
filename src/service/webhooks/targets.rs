//! Where webhook deliveries may go: public unicast addresses only, unless configured.

use std::net::IpAddr;

use url::Url;

use crate::error::AppError;

const MAX_URL_LENGTH: usize = 2000;

/// Where deliveries may go.
#[derive(Clone, Copy, Debug)]
pub struct TargetPolicy {
    /// Private, loopback, link-local and other non-public addresses allowed.
    pub allow_private: bool,
}

impl TargetPolicy {
    /// Whether deliveries may connect to `address`.
    pub fn allows(&self, address: IpAddr) -> bool {
        self.allow_private || is_public(address)
    }

    /// Checks a URL: http(s), a host, and (resolving the name) only allowed addresses.
    /// Checked again at every delivery, as DNS answers change.
    pub async fn check(&self, raw: &str, field: &str) -> Result<Url, AppError> {
        let invalid = |message: String| AppError::invalid(field, message);
        if raw.len() > MAX_URL_LENGTH {
            return Err(invalid(format!("at most {MAX_URL_LENGTH} characters")));
        }
        let url = Url::parse(raw.trim()).map_err(|e| invalid(format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("only http and https URLs receive webhooks".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "credentials in the URL are not accepted; the signature authenticates deliveries"
                    .into(),
            ));
        }
        let host = url
            .host_str()
            .ok_or_else(|| invalid("the URL needs a host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let literal = host.parse::<IpAddr>().ok();
        let addresses: Vec<IpAddr> = match literal {
            Some(ip) => vec![ip],
            None => tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| invalid(format!("the host {host} does not resolve: {e}")))?
                .map(|a| a.ip())
                .collect(),
        };
        if let Some(refused) = addresses.iter().find(|a| !self.allows(**a)) {
            let what = match literal {
                Some(_) => format!("{host} is"),
                None => format!("{host} resolves to {refused},"),
            };
            return Err(invalid(format!(
                "{what} a private or reserved address; deliveries go to public addresses only (see webhooks.allow_private_targets)"
            )));
        }
        Ok(url)
    }
}

/// Public unicast addresses only: no loopback, private, link-local, shared (CGNAT),
/// documentation, benchmarking, multicast or unspecified ranges. An IPv6 address that
/// carries an IPv4 one (mapped, translated, IPv4-compatible, NAT64, 6to4) is judged by
/// that IPv4 address; tunnel and deprecated forms that can reach anywhere (Teredo,
/// site-local, ::/96) are refused outright.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let last_v4 = || std::net::Ipv4Addr::from((u128::from(v6) & 0xffff_ffff) as u32);
            // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (translated, SIIT).
            let mapped = s[..5] == [0; 5] && s[5] == 0xffff;
            let translated = s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0;
            if mapped || translated {
                return is_public(IpAddr::V4(last_v4()));
            }
            // 64:ff9b::/96, the well-known NAT64 prefix: the IPv4 address it reaches.
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public(IpAddr::V4(last_v4()));
            }
            // 2002::/16, 6to4: the IPv4 address of the relay it tunnels to.
            if s[0] == 0x2002 {
                let [a, b] = s[1].to_be_bytes();
                let [c, d] = s[2].to_be_bytes();
                return is_public(IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d)));
            }
            !(s[..6] == [0; 6] // ::, ::1 and IPv4-compatible ::a.b.c.d
                || v6.is_multicast()
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // 64:ff9b:1::/48, local NAT64
                || (s[0] == 0x100 && s[1..4] == [0, 0, 0]) // 100::/64, discard-only
                || (s[0] == 0x2001 && s[1] == 0) // 2001::/32, Teredo
                || (s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0) // benchmarking
                || (s[0] == 0x2001 && (0x10..0x30).contains(&s[1])) // ORCHID
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0) // site-local (deprecated)
        }
    }
}
