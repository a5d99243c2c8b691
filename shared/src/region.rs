//! Tencent Chat REST regions and their domains, and where requests go.

use std::fmt;
use std::str::FromStr;

use url::Url;

/// Generates [`Region`] and its name and domain tables from one list, so a
/// region cannot be added without its configuration name and both domains.
macro_rules! regions {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident => $name:literal, primary: $primary:literal, backup: $backup:literal;
    )+) => {
        /// A Tencent Cloud Chat data-centre region (the app's region in the
        /// console). Serialised as its configuration name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Region {
            $( $(#[doc = $doc])* $variant, )+
        }

        impl Region {
            /// Every region, in the table's order.
            pub const ALL: [Region; [$($name),+].len()] = [$(Region::$variant),+];

            /// The configuration name, the primary and the backup domain.
            fn row(self) -> [&'static str; 3] {
                match self {
                    $(Region::$variant => [$name, $primary, $backup],)+
                }
            }

            /// The configuration name: `china`, `singapore`, …, `silicon-valley`.
            pub fn name(self) -> &'static str {
                self.row()[0]
            }

            /// Tencent's primary REST domain for the region.
            pub fn primary_domain(self) -> &'static str {
                self.row()[1]
            }

            /// Tencent's backup domain, for when the primary's DNS fails.
            pub fn backup_domain(self) -> &'static str {
                self.row()[2]
            }
        }
    };
}

regions! {
    /// Chinese mainland.
    China => "china", primary: "console.tim.qq.com", backup: "adminapi.my-imcloud.com";
    /// Singapore.
    Singapore => "singapore", primary: "adminapisgp.im.qcloud.com", backup: "adminapisgp.my-imcloud.com";
    /// Seoul, South Korea.
    Seoul => "seoul", primary: "adminapikr.im.qcloud.com", backup: "adminapikr.my-imcloud.com";
    /// Tokyo, Japan.
    Tokyo => "tokyo", primary: "adminapijpn.im.qcloud.com", backup: "adminapijpn.my-imcloud.com";
    /// Frankfurt, Germany.
    Frankfurt => "frankfurt", primary: "adminapiger.im.qcloud.com", backup: "adminapiger.my-imcloud.com";
    /// Silicon Valley, USA.
    SiliconValley => "silicon-valley", primary: "adminapiusa.im.qcloud.com", backup: "adminapiusa.my-imcloud.com";
    /// Jakarta, Indonesia.
    Jakarta => "jakarta", primary: "adminapiidn.im.qcloud.com", backup: "adminapiidn.my-imcloud.com";
    /// Mumbai, India.
    Mumbai => "mumbai", primary: "adminapiind.im.qcloud.com", backup: "adminapiind.my-imcloud.com";
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A region name that is none of [`Region::ALL`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown Tencent Chat region {0:?}; expected one of: china, singapore, seoul, tokyo, frankfurt, silicon-valley, jakarta, mumbai"
)]
pub struct UnknownRegion(
    /// The name as given.
    pub String,
);

impl FromStr for Region {
    type Err = UnknownRegion;

    /// Case-insensitive; `_`, `-` and spaces are interchangeable, so
    /// `Silicon Valley`, `silicon_valley` and `silicon-valley` all parse.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normal = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        Region::ALL
            .into_iter()
            .find(|r| r.name() == normal)
            .ok_or_else(|| UnknownRegion(s.to_owned()))
    }
}

/// Where requests go: a primary base URL and, optionally, a backup tried
/// when the primary cannot be connected to (refused, DNS failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Tried first.
    pub primary: Url,
    /// Tried at once when connecting to the primary fails.
    pub backup: Option<Url>,
}

/// A `TIM_ENDPOINT` value that is not one or two http(s) URLs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Tencent endpoint override {value:?}: {reason}")]
pub struct InvalidEndpoint {
    /// The value as given (an endpoint, not a secret).
    pub value: String,
    /// What is wrong with it.
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
            assert_eq!(serde_json::to_value(region).unwrap(), region.name());
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
