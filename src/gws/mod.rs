//! The GWS v2 agent API's message model (8.5.0/8.5.1 "interactions" model):
//! notification types, REST operation bodies and `statusCode` values.
//!
//! Shared by the simulator (which builds these messages) and the load
//! generator's agents (which decode them). It holds no simulator logic.
//! Decoding is lean: the agent-side types borrow from the received bytes and
//! skip every field an agent does not need.

pub mod calls;
pub mod channel;
pub mod model;
pub mod notification;
pub mod operation;
pub mod paths;
pub mod status;

pub use channel::MediaChannel;
pub use model::MessageModel;
pub use notification::{
    CHANNELS_TOPIC, ChannelNotice, ChannelState, ChannelStateChangeMessageV2, ChatNotification,
    EmailObject, INTERACTIONS_TOPIC, InteractionNotice, InteractionState, InteractionStateMessage,
    Notification, UserState, decode_notification,
};
pub use operation::{OperationName, OperationRequest, operation_body};
pub use status::{StatusCode, decode_status};
