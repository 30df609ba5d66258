//! The JSON wire types of the Authorize.Net API: requests in schema order,
//! lenient responses. They never leave this crate.

pub(crate) mod request;
pub(crate) mod response;

#[cfg(test)]
mod documented;
