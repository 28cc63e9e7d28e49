//! RPCs for features this framework does not offer (data sources, ephemeral
//! resources, functions, list resources, state stores, actions, moves,
//! config generation). Each answers with an error diagnostic that names the
//! feature, never a gRPC status: Terraform calls them only when configuration
//! uses the feature, and the user should read why it does not work.

use std::pin::Pin;

use futures::Stream;
use hwsnap_plugin::proto::tfplugin6 as pb;
use tonic::Status;

use super::convert;
use crate::diag::Diagnostic;

fn not_supported(feature: &str, name: &str) -> Vec<pb::Diagnostic> {
    let what = if name.is_empty() {
        feature.to_string()
    } else {
        format!("{feature} {name:?}")
    };
    vec![convert::diagnostic(&Diagnostic::error(
        format!("Unsupported: {what}"),
        format!("This provider has no {feature}s; it manages resources only."),
    ))]
}

pub fn validate_data_resource_config(
    r: pb::validate_data_resource_config::Request,
) -> pb::validate_data_resource_config::Response {
    pb::validate_data_resource_config::Response {
        diagnostics: not_supported("data source", &r.type_name),
    }
}

pub fn read_data_source(r: pb::read_data_source::Request) -> pb::read_data_source::Response {
    pb::read_data_source::Response {
        diagnostics: not_supported("data source", &r.type_name),
        ..Default::default()
    }
}

pub fn move_resource_state(
    r: pb::move_resource_state::Request,
) -> pb::move_resource_state::Response {
    pb::move_resource_state::Response {
        diagnostics: not_supported("resource move target", &r.target_type_name),
        ..Default::default()
    }
}

pub fn generate_resource_config(
    r: pb::generate_resource_config::Request,
) -> pb::generate_resource_config::Response {
    pb::generate_resource_config::Response {
        diagnostics: not_supported("configuration generator", &r.type_name),
        ..Default::default()
    }
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

pub fn list_resource(
    r: pb::list_resource::Request,
) -> Pin<Box<dyn Stream<Item = Result<pb::list_resource::Event, Status>> + Send>> {
    let event = pb::list_resource::Event {
        diagnostic: not_supported("list resource", &r.type_name),
        ..Default::default()
    };
    Box::pin(futures::stream::iter([Ok(event)]))
}

pub fn validate_list_resource_config(
    r: pb::validate_list_resource_config::Request,
) -> pb::validate_list_resource_config::Response {
    pb::validate_list_resource_config::Response {
        diagnostics: not_supported("list resource", &r.type_name),
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

pub fn plan_action(r: pb::plan_action::Request) -> pb::plan_action::Response {
    pb::plan_action::Response {
        diagnostics: not_supported("action", &r.action_type),
        ..Default::default()
    }
}

pub fn invoke_action(
    r: pb::invoke_action::Request,
) -> Pin<Box<dyn Stream<Item = Result<pb::invoke_action::Event, Status>> + Send>> {
    use pb::invoke_action::event;
    let event = pb::invoke_action::Event {
        r#type: Some(event::Type::Completed(event::Completed {
            diagnostics: not_supported("action", &r.action_type),
        })),
    };
    Box::pin(futures::stream::iter([Ok(event)]))
}

pub fn validate_action_config(
    r: pb::validate_action_config::Request,
) -> pb::validate_action_config::Response {
    pb::validate_action_config::Response {
        diagnostics: not_supported("action", &r.type_name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_feature() {
        let r = read_data_source(pb::read_data_source::Request {
            type_name: "dws_cluster".into(),
            ..Default::default()
        });
        assert_eq!(r.diagnostics.len(), 1);
        assert!(
            r.diagnostics[0]
                .summary
                .contains("data source \"dws_cluster\"")
        );
        let f = call_function(pb::call_function::Request::default());
        assert!(f.error.unwrap().text.contains("no functions"));
    }
}
