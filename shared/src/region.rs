//! Tencent Chat REST regions and their domains, and where requests go.

use std::fmt;
use std::str::FromStr;

use url::Url;

/// A Tencent Cloud Chat data-centre region (the app's region in the console).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    China,
    Singapore,
    Seoul,
    Tokyo,
    Frankfurt,
    SiliconValley,
    Jakarta,
    Mumbai,
}

impl Region {
    pub const ALL: [Region; 8] = [
        Region::China,
        Region::Singapore,
        Region::Seoul,
        Region::Tokyo,
        Region::Frankfurt,
        Region::SiliconValley,
        Region::Jakarta,
        Region::Mumbai,
    ];

    /// The configuration name: `china`, `singapore`, …, `silicon-valley`.
    pub fn name(self) -> &'static str {
        match self {
            Region::China => "china",
            Region::Singapore => "singapore",
            Region::Seoul => "seoul",
            Region::Tokyo => "tokyo",
            Region::Frankfurt => "frankfurt",
            Region::SiliconValley => "silicon-valley",
            Region::Jakarta => "jakarta",
            Region::Mumbai => "mumbai",
        }
    }

    pub fn primary_domain(self) -> &'static str {
        match self {
            Region::China => "console.tim.qq.com",
            Region::Singapore => "adminapisgp.im.qcloud.com",
            Region::Seoul => "adminapikr.im.qcloud.com",
            Region::Tokyo => "adminapijpn.im.qcloud.com",
            Region::Frankfurt => "adminapiger.im.qcloud.com",
            Region::SiliconValley => "adminapiusa.im.qcloud.com",
            Region::Jakarta => "adminapiidn.im.qcloud.com",
            Region::Mumbai => "adminapiind.im.qcloud.com",
        }
    }

    /// Tencent's backup domain, for when the primary's DNS fails.
    pub fn backup_domain(self) -> &'static str {
        match self {
            Region::China => "adminapi.my-imcloud.com",
            Region::Singapore => "adminapisgp.my-imcloud.com",
            Region::Seoul => "adminapikr.my-imcloud.com",
            Region::Tokyo => "adminapijpn.my-imcloud.com",
            Region::Frankfurt => "adminapiger.my-imcloud.com",
            Region::SiliconValley => "adminapiusa.my-imcloud.com",
            Region::Jakarta => "adminapiidn.my-imcloud.com",
            Region::Mumbai => "adminapiind.my-imcloud.com",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown Tencent Chat region {0:?}; expected one of: china, singapore, seoul, tokyo, frankfurt, silicon-valley, jakarta, mumbai"
)]
pub struct UnknownRegion(pub String);

impl FromStr for Region {
    type Err = UnknownRegion;

    /// Case-insensitive; `_`, `-` and spaces are interchangeable, so
    /// `Silicon Valley`, `silicon_valley` and `silicon-valley` all parse.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normal: String = s
            .trim()
            .chars()
            .map(|c| {
                if c == '_' || c == ' ' {
                    '-'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        Region::ALL
            .into_iter()
            .find(|r| r.name() == normal)
            .ok_or_else(|| UnknownRegion(s.to_owned()))
    }
}

impl serde::Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Where requests go: a primary base URL and, optionally, a backup tried
/// when the primary cannot be connected to (refused, DNS failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub primary: Url,
    pub backup: Option<Url>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Tencent endpoint override {value:?}: {reason}")]
pub struct InvalidEndpoint {
    pub value: String,
    pub reason: String,
}

impl Endpoint {
    /// Tencent's HTTPS domains for `region`.
    pub fn for_region(region: Region) -> Self {
        let https = |domain: &str| {
            Url::parse(&format!("https://{domain}/"))
                .unwrap_or_else(|_| unreachable!("static domains are valid URLs"))
        };
        Self {
            primary: https(region.primary_domain()),
            backup: Some(https(region.backup_domain())),
        }
    }

    /// A base-URL override (`TIM_ENDPOINT`): `http://127.0.0.1:9000`, or a
    /// primary and a backup separated by a comma.
    pub fn parse_override(value: &str) -> Result<Self, InvalidEndpoint> {
        let invalid = |reason: &str| InvalidEndpoint {
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        let mut urls = value
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                let url = Url::parse(part).map_err(|e| invalid(&e.to_string()))?;
                if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                    return Err(invalid("expected an http:// or https:// URL with a host"));
                }
                // The UserSig travels in the query string: in clear text only
                // to this machine (the emulator, tests, local runs).
                if url.scheme() == "http" && !is_loopback(&url) {
                    return Err(invalid(
                        "plain http:// is accepted only for loopback hosts (127.0.0.0/8, ::1, \
                         localhost): the UserSig would travel in clear text; use https://",
                    ));
                }
                Ok(url)
            });
        let primary = urls.next().ok_or_else(|| invalid("empty"))??;
        let backup = urls.next().transpose()?;
        if urls.next().is_some() {
            return Err(invalid("at most two URLs: primary,backup"));
        }
        Ok(Self { primary, backup })
    }
}

/// Whether `url`'s host is this machine: 127.0.0.0/8, `::1` or `localhost`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_round_trips_through_its_name() {
        for region in Region::ALL {
            assert_eq!(region.name().parse::<Region>(), Ok(region));
            let endpoint = Endpoint::for_region(region);
            assert_eq!(endpoint.primary.scheme(), "https");
            assert_ne!(endpoint.backup.as_ref(), Some(&endpoint.primary));
        }
        assert_eq!(
            "Silicon_Valley".parse::<Region>(),
            Ok(Region::SiliconValley)
        );
        assert!("mars".parse::<Region>().is_err());
    }

    #[test]
    fn override_takes_one_or_two_urls() {
        let one = Endpoint::parse_override("http://127.0.0.1:9000").unwrap();
        assert_eq!(one.primary.as_str(), "http://127.0.0.1:9000/");
        assert_eq!(one.backup, None);
        let two = Endpoint::parse_override("http://127.0.0.1:1, http://127.0.0.1:2").unwrap();
        assert_eq!(two.backup.unwrap().port(), Some(2));
        assert!(Endpoint::parse_override("").is_err());
        assert!(Endpoint::parse_override("ftp://x").is_err());
        assert!(Endpoint::parse_override("http://a,http://b,http://c").is_err());
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:9000",
            "http://127.8.9.10",
            "http://[::1]:8080",
            "http://localhost:1",
            "http://LocalHost",
            "https://adminapisgp.im.qcloud.com",
            "https://10.0.0.5:8443",
        ] {
            assert!(Endpoint::parse_override(ok).is_ok(), "{ok}");
        }
        for clear in [
            "http://adminapisgp.im.qcloud.com",
            "http://10.0.0.5:9000",
            "http://192.168.1.2",
            "http://[2001:db8::1]",
            "http://localhost.example.com",
            "http://127.0.0.1:1,http://backup.example.com",
        ] {
            let err = Endpoint::parse_override(clear).unwrap_err();
            assert!(err.reason.contains("loopback"), "{clear}: {err:?}");
        }
    }
}
