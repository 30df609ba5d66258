//! What the portal learns about the browser behind a request.

use std::net::IpAddr;

/// The IP address and user agent of a request, kept in sessions and in the
/// audit trail. The user agent is cut to a sane length and stripped of
/// control characters, since any client can send anything there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    pub const MAX_USER_AGENT_CHARS: usize = 512;

    pub fn new(ip: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        let user_agent = user_agent
            .map(|ua| {
                ua.chars()
                    .filter(|c| !c.is_control())
                    .take(Self::MAX_USER_AGENT_CHARS)
                    .collect::<String>()
                    .trim()
                    .to_owned()
            })
            .filter(|ua| !ua.is_empty());
        Self { ip, user_agent }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_bounded_and_cleaned() {
        let info = ClientInfo::new(None, Some(&format!("Mozilla\r\n{}", "x".repeat(5000))));
        let ua = info.user_agent.unwrap();
        assert!(ua.starts_with("Mozillaxxx"));
        assert_eq!(ua.chars().count(), ClientInfo::MAX_USER_AGENT_CHARS);
        assert_eq!(ClientInfo::new(None, Some(" \u{0} ")).user_agent, None);
    }
}
