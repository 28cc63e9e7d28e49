//! RPCs for features this framework does not offer (ephemeral resources,
//! functions, state stores), and the answer for a kind a provider
//! registers no type of ([`not_supported`]). Each answers with an error
//! diagnostic that names the feature, never a gRPC status: Terraform calls
//! them only when configuration uses the feature, and the user should read
//! why it does not work.

use std::pin::Pin;

use futures::Stream;
use hwsnap_plugin::proto::tfplugin6 as pb;
use tonic::Status;

use super::convert;
use crate::diag::Diagnostic;

pub(super) fn not_supported(feature: &str, name: &str) -> Vec<pb::Diagnostic> {
    let what = if name.is_empty() {
        feature.to_string()
    } else {
        format!("{feature} {name:?}")
    };
    vec![convert::diagnostic(&Diagnostic::error(
        format!("Unsupported: {what}"),
        format!("This provider has no {feature}s."),
    ))]
}

pub fn validate_ephemeral_resource_config(
    r: pb::validate_ephemeral_resource_config::Request,
) -> pb::validate_ephemeral_resource_config::Response {
    pb::validate_ephemeral_resource_config::Response {
        diagnostics: not_supported("ephemeral resource", &r.type_name),
    }
}

pub fn open_ephemeral_resource(
    r: pb::open_ephemeral_resource::Request,
) -> pb::open_ephemeral_resource::Response {
    pb::open_ephemeral_resource::Response {
        diagnostics: not_supported("ephemeral resource", &r.type_name),
        ..Default::default()
    }
}

pub fn renew_ephemeral_resource(
    r: pb::renew_ephemeral_resource::Request,
) -> pb::renew_ephemeral_resource::Response {
    pb::renew_ephemeral_resource::Response {
        diagnostics: not_supported("ephemeral resource", &r.type_name),
        ..Default::default()
    }
}

pub fn close_ephemeral_resource(
    r: pb::close_ephemeral_resource::Request,
) -> pb::close_ephemeral_resource::Response {
    pb::close_ephemeral_resource::Response {
        diagnostics: not_supported("ephemeral resource", &r.type_name),
    }
}

pub fn call_function(r: pb::call_function::Request) -> pb::call_function::Response {
    pb::call_function::Response {
        result: None,
        error: Some(pb::FunctionError {
            text: format!(
                "This provider has no functions; {:?} does not exist.",
                r.name
            ),
            function_argument: None,
        }),
    }
}

pub fn validate_state_store(
    r: pb::validate_state_store::Request,
) -> pb::validate_state_store::Response {
    pb::validate_state_store::Response {
        diagnostics: not_supported("state store", &r.type_name),
    }
}

pub fn configure_state_store(
    r: pb::configure_state_store::Request,
) -> pb::configure_state_store::Response {
    pb::configure_state_store::Response {
        diagnostics: not_supported("state store", &r.type_name),
        ..Default::default()
    }
}

pub fn read_state_bytes(
    r: pb::read_state_bytes::Request,
) -> Pin<Box<dyn Stream<Item = Result<pb::read_state_bytes::Response, Status>> + Send>> {
    let resp = pb::read_state_bytes::Response {
        diagnostics: not_supported("state store", &r.type_name),
        ..Default::default()
    };
    Box::pin(futures::stream::iter([Ok(resp)]))
}

pub fn write_state_bytes() -> pb::write_state_bytes::Response {
    pb::write_state_bytes::Response {
        diagnostics: not_supported("state store", ""),
    }
}

pub fn lock_state(r: pb::lock_state::Request) -> pb::lock_state::Response {
    pb::lock_state::Response {
        diagnostics: not_supported("state store", &r.type_name),
        ..Default::default()
    }
}

pub fn unlock_state(r: pb::unlock_state::Request) -> pb::unlock_state::Response {
    pb::unlock_state::Response {
        diagnostics: not_supported("state store", &r.type_name),
    }
}

pub fn get_states(r: pb::get_states::Request) -> pb::get_states::Response {
    pb::get_states::Response {
        diagnostics: not_supported("state store", &r.type_name),
        ..Default::default()
    }
}

pub fn delete_state(r: pb::delete_state::Request) -> pb::delete_state::Response {
    pb::delete_state::Response {
        diagnostics: not_supported("state store", &r.type_name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_feature() {
        let d = not_supported("data source", "dws_cluster");
        assert_eq!(d.len(), 1);
        assert!(d[0].summary.contains("data source \"dws_cluster\""));
        assert!(d[0].detail.contains("no data sources"));
        let f = call_function(pb::call_function::Request::default());
        assert!(f.error.unwrap().text.contains("no functions"));
    }
}
